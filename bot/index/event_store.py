"""Events across articles: one row per real-world event, however it was worded.

Summits, meetings and talks share a key per region (Budapest and Hungary are
one), strikes a key per place, calls a key per pair of surnames and month.
The display name is recomputed from every phrase seen, preferring the most
specific place and the word "summit": "Budapest summit".

Owners (bot.workspaces): an article owned by W finds events among the base corpus's and
W's, creates events owned by W, and links only W's own earlier articles to them. An
event's name comes from its owner's articles only; another owner's phrases for it become
that owner's aliases, seen only in scopes holding that owner.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import datetime, timedelta

from bot.index.aboutness import refresh_articles
from bot.index.events import GROUP, KIND_PREFERENCE, EventMention
from bot.index.gazetteer import SPECIFICITY
from bot.index.rows import iso_utc
from bot.index.text import fold, phrase_key
from bot.workspaces import Scope

Conn = sqlite3.Connection


def event_key(ev: EventMention, surnames: tuple[str, ...], published: datetime | None) -> str:
    if ev.group == "meet" and ev.place:
        return f"meet|{fold(ev.place.region)}"
    if ev.group == "strike" and ev.place:
        return f"strike|{fold(ev.place.name)}"
    month = published.strftime("%Y-%m") if published else "undated"
    return "call|" + "|".join(sorted(phrase_key(s) for s in surnames)) + "|" + month


#: Weak evidence (two people "at the White House") joins an event only from an article
#: published this close to one that names the event outright: a place hosts many meetings.
WEAK_LINK_DAYS = 10


def _near(published: datetime | None) -> tuple[str, list[str]]:
    """SQL (and its parameters) for "article `a` was published within WEAK_LINK_DAYS of
    `published`" (true when either date is unknown). Stored dates are all iso_utc text,
    so a range of strings is a range of instants, on both backends."""
    if published is None:
        return "1 = 1", []
    span = timedelta(days=WEAK_LINK_DAYS)
    return ("(a.published IS NULL OR a.published BETWEEN ? AND ?)",
            [iso_utc(published - span), iso_utc(published + span)])


def known(conn: Conn, ev: EventMention, published: datetime | None = None,
          ws: str = "") -> bool:
    """Whether an event is stored under this phrase's key and named outright in an article
    near `published` (any date when either is unknown), as owner `ws` sees them."""
    near, args = _near(published)
    in_e, owners = Scope.of(ws).sql("e.ws")
    in_a, _ = Scope.of(ws).sql("a.ws")
    return conn.execute(
        "SELECT 1 FROM events e JOIN event_mentions m ON m.event_id = e.id "
        "JOIN articles a ON a.id = m.article_id "
        f"WHERE e.key = ? AND {in_e} AND {in_a} AND m.kind != 'mention' AND {near} LIMIT 1",
        [event_key(ev, (), None), *owners, *owners, *args]).fetchone() is not None


def remember_place(conn: Conn, ev: EventMention, article_id: int, sentence_id: int) -> None:
    assert ev.place is not None
    conn.execute("INSERT INTO place_mentions(article_id, sentence_id, place, place_kind, region, "
                 "phrase) VALUES (?, ?, ?, ?, ?, ?)", [article_id, sentence_id, ev.place.name,
                                                     ev.place.kind, ev.place.region, ev.phrase])


def _link_earlier_places(conn: Conn, event_id: int, region: str, article_id: int,
                         published: datetime | None, ws: str) -> None:
    """A new event at a place: earlier articles of the same owner near its date that put
    two people there discuss it too (another owner's articles are left as they are)."""
    near, args = _near(published)
    rows = conn.execute("SELECT p.article_id, p.sentence_id, p.place, p.place_kind, p.phrase FROM "
                        "place_mentions p JOIN articles a ON a.id = p.article_id "
                        f"WHERE p.region = ? AND p.article_id != ? AND a.ws = ? AND {near} "
                        "ORDER BY p.id", [region, article_id, ws, *args]).fetchall()
    for aid, sid, place, place_kind, phrase in rows:
        conn.execute("INSERT INTO event_mentions(event_id, article_id, sentence_id, kind, place, "
                     "place_kind, phrase) VALUES (?, ?, ?, 'mention', ?, ?, ?)",
                     [event_id, aid, sid, place, place_kind, phrase])
        conn.execute("INSERT INTO event_articles(event_id, article_id, mentions) VALUES (?, ?, 1) "
                     "ON CONFLICT(event_id, article_id) DO UPDATE SET "
                     "mentions = event_articles.mentions + 1", [event_id, aid])
    refresh_articles(conn, [r[0] for r in rows])  # they now mention the event too


def record_event(conn: Conn, ev: EventMention, surnames: tuple[str, ...], article_id: int,
                 sentence_id: int | None, published: datetime | None, ws: str = "") -> int:
    """Store one event phrase of an article owned by `ws`; return the event's id."""
    key = event_key(ev, surnames, published)
    in_e, owners = Scope.of(ws).sql("ws")
    row = conn.execute(f"SELECT id FROM events WHERE key = ? AND {in_e} ORDER BY id",
                       [key, *owners]).fetchone()
    if row:
        event_id = row[0]
    else:
        event_id = conn.execute(
            "INSERT INTO events(name, kind, place, key, region, ws) VALUES (?, ?, ?, ?, ?, ?)",
            [ev.phrase, ev.kind, ev.place.name if ev.place else None, key,
             ev.place.region if ev.place else None, ws]).lastrowid
        if ev.group == "meet" and ev.place and event_id is not None:
            _link_earlier_places(conn, event_id, ev.place.region, article_id, published, ws)
    conn.execute(
        "INSERT INTO event_mentions(event_id, article_id, sentence_id, kind, place, place_kind, "
        "phrase) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [event_id, article_id, sentence_id, ev.kind, ev.place.name if ev.place else
         "-".join(surnames), ev.place.kind if ev.place else None, ev.phrase[:200]])
    conn.execute("INSERT INTO event_articles(event_id, article_id, mentions) VALUES (?, ?, 1) "
                 "ON CONFLICT(event_id, article_id) DO UPDATE SET "
                 "mentions = event_articles.mentions + 1", [event_id, article_id])
    return event_id


def refresh_event(conn: Conn, event_id: int, ws: str = "") -> None:
    """Rebuild owner `ws`'s aliases of the event from that owner's phrases, and rename it
    when `ws` owns it (another owner's phrases never rename it)."""
    owner = conn.execute("SELECT ws FROM events WHERE id = ?", [event_id]).fetchone()
    if owner is None:
        return
    rows = conn.execute("SELECT m.kind, m.place, m.place_kind, m.phrase FROM event_mentions m "
                        "JOIN articles a ON a.id = m.article_id "
                        "WHERE m.event_id = ? AND m.kind != 'mention' AND a.ws = ? ORDER BY m.id",
                        [event_id, ws]).fetchall()
    if not rows:
        return
    kinds = Counter(r[0] for r in rows)
    group = GROUP[rows[0][0]]
    if group == "meet":
        kind = next(k for k in KIND_PREFERENCE if kinds[k])
    else:
        kind = group
    places = Counter((r[1], r[2]) for r in rows if r[1])
    place, place_kind = max(places, key=lambda p: (SPECIFICITY.get(p[1] or "", 0), places[p]))
    if group == "call":
        name = f"{place} call"
    elif group == "strike":
        name = f"{place} strikes"
    else:
        name = f"{place} {kind}"
    stored_place = place if group != "call" else None
    aliases = set()
    if owner[0] == ws:
        conn.execute("UPDATE events SET name = ?, kind = ?, place = ? WHERE id = ?",
                     [name, kind, stored_place, event_id])
        aliases.add(name)
    for k, p, _pk, phrase in rows:
        if group == "meet":
            aliases.update({f"{p} {k}", f"{k} in {p}"})
        elif group == "strike":
            aliases.update({f"{p} strike", f"{p} strikes", f"strikes on {p}"})
        else:
            aliases.update({f"{p.replace('-', ' ')} call", f"{p} phone call"})
        if len(phrase.split()) <= 5:  # "meeting in the Oval Office", not a whole clause
            aliases.add(phrase)
    conn.execute("DELETE FROM event_aliases WHERE event_id = ? AND ws = ?", [event_id, ws])
    conn.executemany("INSERT INTO event_aliases(event_id, ws, alias, key) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT(event_id, ws, alias) DO NOTHING",
                     [(event_id, ws, a, phrase_key(a)) for a in sorted(aliases) if phrase_key(a)])

