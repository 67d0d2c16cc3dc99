"""Read-side queries: rows, full-text search, topic resolution, suggestions.

Every user string reaches FTS5 only as quoted tokens, so query syntax typed
by a user (quotes, NEAR(, *, OR, -, ^) is searched for, never executed.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone

import numpy as np

from bot.index import entity_store
from bot.index.events import GROUP
from bot.index.gazetteer import gazetteer
from bot.index.rows import ArticleRow, EntityRow, EventRow, IndexStats, SourceRef, Topic, iso_utc
from bot.index.text import fold, phrase_key
from summarizer.types import Sentence

Conn = sqlite3.Connection

#: How many of the most-mentioned aliases `suggest` compares against.
SUGGEST_POOL = 5000
#: Most tokens a search query keeps (a 10k-character paste is cut, not refused).
MAX_QUERY_TOKENS = 24
_STOPWORDS = set("""a an the of on in at to for and or with about from by is are was were be
what whats what's new latest news update updates on tell me who is timeline story stories
any has have did do does happening going""".split())
_LEADING = re.compile(
    r"^(?:(?:what(?:'s| is)?\s+(?:new|happening|going on)\s+(?:with|on|about|in)|latest\s+(?:on|about|news\s+on)|"
    r"news\s+(?:on|about)|updates?\s+on|timeline\s+of|who\s+is|tell\s+me\s+about|"
    r"sources\s+(?:for|on)|the|a|an)\s+)+", re.IGNORECASE)
_ARTICLE_ORDER = "ORDER BY a.published IS NULL, a.published DESC, a.id DESC"


def _dt(value: str | None) -> datetime | None:
    if not value:
        return None
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def articles(conn: Conn, ids: Sequence[int]) -> list[ArticleRow]:
    ids = [int(i) for i in ids]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = {r[0]: r for r in conn.execute(
        "SELECT id, title, text, publisher, published, url, origin, date_source, added_at "
        f"FROM articles WHERE id IN ({marks})", ids)}
    sources: dict[int, list[SourceRef]] = {}
    for aid, pub, url, origin, title in conn.execute(
            "SELECT article_id, publisher, url, origin, title FROM article_sources "
            f"WHERE article_id IN ({marks}) ORDER BY id", ids):
        sources.setdefault(aid, []).append(SourceRef(pub, url, origin or "", title or ""))
    out = []
    for i in dict.fromkeys(ids):
        r = rows.get(i)
        if r:
            added = _dt(r[8])
            assert added is not None
            out.append(ArticleRow(r[0], r[1], r[2], r[3], _dt(r[4]), r[5], r[6] or "", r[7],
                                  added, sources.get(r[0], [])))
    return out


def sentences(conn: Conn, article_ids: Sequence[int]) -> list[Sentence]:
    ids = list(dict.fromkeys(int(i) for i in article_ids))
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        "SELECT s.id, s.article_id, s.position, s.text, a.published, s.embedding "
        f"FROM sentences s JOIN articles a ON a.id = s.article_id WHERE s.article_id IN ({marks})",
        ids).fetchall()
    order = {aid: n for n, aid in enumerate(ids)}
    rows.sort(key=lambda r: (order[r[1]], r[2]))
    return [_sentence(r) for r in rows]


def _sentence(r: Sequence) -> Sentence:
    emb = np.frombuffer(r[5], dtype=np.float32).copy() if r[5] else None
    return Sentence(r[0], r[1], r[2], r[3], _dt(r[4]), emb)


def fts_tokens(text: str) -> list[str]:
    """Words of a user query, each safe to quote for FTS5."""
    return re.findall(r"\w+", text[:4000])[:MAX_QUERY_TOKENS]


def search(conn: Conn, text: str, *, limit: int = 50) -> list[int]:
    tokens = fts_tokens(text)
    if not tokens:
        return []
    content = [t for t in tokens if t.lower() not in _STOPWORDS] or tokens
    quoted = ['"' + t.replace('"', '""') + '"' for t in content]
    for joiner in (" AND ", " OR "):
        rows = conn.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
            "ORDER BY bm25(articles_fts, 5.0, 1.0) LIMIT ?",
            [joiner.join(quoted), int(limit)]).fetchall()
        if rows:
            return [r[0] for r in rows]
        if len(quoted) == 1:
            break
    return []


def clean_topic(text: str) -> str:
    """ "the latest on the Budapest summit?" -> "Budapest summit"."""
    text = re.sub(r"\s+", " ", text[:500].replace("’", "'")).strip().strip("?!.,;:'\"“”‘’ ")
    return _LEADING.sub("", text).strip().strip("?!.,;:'\"“”‘’ ")


def resolve_topic(conn: Conn, text: str) -> Topic:
    topic = clean_topic(text)
    if not topic:
        return Topic("none", text.strip()[:100])
    event_id = find_event(conn, topic)
    if event_id:
        ev = event_row(conn, event_id)
        assert ev is not None
        return Topic("event", ev.name, ev.article_ids, event=ev)
    entity_id = entity_store.lookup(conn, topic)
    if entity_id:
        ent = entity_row(conn, entity_id)
        assert ent is not None
        return Topic("entity", ent.name, ent.article_ids, entity=ent)
    ids = search(conn, topic)
    if ids:
        return Topic("text", topic, ids)
    return Topic("none", topic)


_KIND_QUERY = re.compile(r"\b(summits?|meetings?|meet|talks|negotiations|calls?|phone|"
                         r"strikes?|airstrikes?|attacks?|bombing|shelling)\b", re.IGNORECASE)
_QUERY_KIND = {"summit": "meet", "summits": "meet", "meeting": "meet", "meetings": "meet",
               "meet": "meet", "talks": "meet", "negotiations": "meet", "call": "call",
               "calls": "call", "phone": "call"}


def find_event(conn: Conn, topic: str) -> int | None:
    """An event named by `topic`: a known alias, or a place plus an event word
    ("summit in Hungary" finds the Budapest summit), or a bare city/state ("Alaska")."""
    key = phrase_key(topic)
    row = conn.execute("SELECT a.event_id FROM event_aliases a JOIN event_articles ea "
                       "ON ea.event_id = a.event_id WHERE a.key = ? GROUP BY a.event_id "
                       "ORDER BY COUNT(*) DESC LIMIT 1", [key]).fetchone()
    if row:
        return row[0]
    kind_match = _KIND_QUERY.search(topic)
    group = _QUERY_KIND.get(kind_match.group(1).lower(), "strike") if kind_match else None
    places = _places_in(topic)
    if group == "call":
        return _call_event(conn, set(phrase_key(topic).split()))
    if not places:
        return None
    place = max(places, key=lambda p: p.specificity)
    rest = [w for w in phrase_key(_KIND_QUERY.sub(" ", topic)).split()
            if w not in _STOPWORDS and w not in phrase_key(place.name).split()]
    if group is None and (place.kind == "country" or rest):
        return None  # "Hungary" alone is the country, not an event held there
    groups = [group] if group else ["meet"]
    for g in groups:
        key = f"meet|{fold(place.region)}" if g == "meet" else f"strike|{fold(place.name)}"
        row = conn.execute("SELECT id FROM events WHERE key = ?", [key]).fetchone()
        if row:
            return row[0]
    return None


def _call_event(conn: Conn, words: set[str]) -> int | None:
    """The latest call whose every participant's surname is among the query's words."""
    best: tuple[str, int] | None = None
    for event_id, key in conn.execute("SELECT id, key FROM events WHERE key LIKE 'call|%'"):
        parts = key.split("|")
        surnames, month = parts[1:-1], parts[-1]
        when = "" if month == "undated" else month
        if surnames and all(s in words for s in surnames) and (best is None or when > best[0]):
            best = (when, event_id)
    return best[1] if best else None


def _places_in(topic: str) -> list:
    found = [p for _, _, p in gazetteer().find(topic.title())]
    return found


def event_row(conn: Conn, event_id: int) -> EventRow | None:
    r = conn.execute("SELECT id, name, kind, place FROM events WHERE id = ?",
                     [event_id]).fetchone()
    if not r:
        return None
    aliases = [a[0] for a in conn.execute(
        "SELECT alias FROM event_aliases WHERE event_id = ? AND alias != ? ORDER BY alias",
        [event_id, r[1]])]
    ids = [a[0] for a in conn.execute(
        "SELECT a.id FROM event_articles ea JOIN articles a ON a.id = ea.article_id "
        f"WHERE ea.event_id = ? {_ARTICLE_ORDER}", [event_id])]
    return EventRow(r[0], r[1], r[2], r[3], aliases, ids)


def all_events(conn: Conn) -> list[EventRow]:
    ids = [r[0] for r in conn.execute(
        "SELECT e.id FROM events e LEFT JOIN event_articles ea ON ea.event_id = e.id "
        "GROUP BY e.id ORDER BY COUNT(ea.article_id) DESC, SUM(ea.mentions) DESC, e.id")]
    return [ev for ev in (event_row(conn, i) for i in ids) if ev]


def entity_row(conn: Conn, entity_id: int) -> EntityRow | None:
    r = conn.execute("SELECT id, name, type FROM entities WHERE id = ?", [entity_id]).fetchone()
    if not r:
        return None
    aliases = [a[0] for a in conn.execute(
        "SELECT alias FROM entity_aliases WHERE entity_id = ? AND alias != ? "
        "ORDER BY count DESC, alias", [entity_id, r[1]])]
    ids = [a[0] for a in conn.execute(
        "SELECT a.id FROM articles a WHERE a.id IN (SELECT article_id FROM mentions "
        f"WHERE entity_id = ?) {_ARTICLE_ORDER}", [entity_id])]
    n = conn.execute("SELECT COUNT(*) FROM mentions WHERE entity_id = ?", [entity_id]).fetchone()[0]
    return EntityRow(r[0], r[1], r[2], aliases, ids, n)


def all_entities(conn: Conn) -> list[EntityRow]:
    """Every entity, most mentioned first; three queries however many entities there are."""
    aliases: dict[int, list[str]] = {}
    for eid, alias in conn.execute("SELECT a.entity_id, a.alias FROM entity_aliases a "
                                   "JOIN entities e ON e.id = a.entity_id WHERE a.alias != e.name "
                                   "ORDER BY a.entity_id, a.count DESC, a.alias"):
        aliases.setdefault(eid, []).append(alias)
    articles_of: dict[int, list[int]] = {}
    counts: dict[int, int] = {}
    for eid, aid, n in conn.execute(
            "SELECT m.entity_id, m.article_id, COUNT(*) FROM mentions m "
            "JOIN articles a ON a.id = m.article_id GROUP BY m.entity_id, m.article_id "
            "ORDER BY m.entity_id, a.published IS NULL, a.published DESC, a.id DESC"):
        articles_of.setdefault(eid, []).append(aid)
        counts[eid] = counts.get(eid, 0) + n
    rows = [EntityRow(eid, name, etype, aliases.get(eid, []), articles_of.get(eid, []),
                      counts.get(eid, 0))
            for eid, name, etype in conn.execute("SELECT id, name, type FROM entities")]
    rows.sort(key=lambda e: (-e.mentions, e.name))
    return rows


def most_covered(conn: Conn, k: int) -> list[str]:
    """The k most discussed events, then the k most mentioned people (the orders of
    all_events and all_entities), without loading every row to pick a few."""
    events = [r[0] for r in conn.execute(
        "SELECT e.name FROM events e LEFT JOIN event_articles ea ON ea.event_id = e.id "
        "GROUP BY e.id ORDER BY COUNT(ea.article_id) DESC, SUM(ea.mentions) DESC, e.id "
        "LIMIT ?", [k])]
    people = [r[0] for r in conn.execute(
        "SELECT e.name FROM entities e JOIN mentions m ON m.entity_id = e.id "
        "JOIN articles a ON a.id = m.article_id WHERE e.type = 'PERSON' "
        "GROUP BY e.id ORDER BY COUNT(*) DESC, e.name LIMIT ?", [k])]
    return events + people


def entity_sentences(conn: Conn, entity_id: int, newest_articles: int = -1) -> list[Sentence]:
    """Sentences naming the entity, from its `newest_articles` newest articles (all: -1)."""
    rows = conn.execute(
        "SELECT s.id, s.article_id, s.position, s.text, a.published, s.embedding "
        "FROM sentences s JOIN articles a ON a.id = s.article_id "
        "WHERE s.id IN (SELECT sentence_id FROM mentions WHERE entity_id = ?) "
        "AND s.article_id IN (SELECT a.id FROM articles a WHERE a.id IN (SELECT article_id "
        f"FROM mentions WHERE entity_id = ?) {_ARTICLE_ORDER} LIMIT ?) "
        "ORDER BY a.published IS NULL, a.published DESC, a.id DESC, s.position",
        [entity_id, entity_id, newest_articles]).fetchall()
    return [_sentence(r) for r in rows]


def mentioning_sentence_ids(conn: Conn, kind: str, target_id: int,
                            article_ids: Sequence[int]) -> set[int]:
    """Sentences of these articles that mention an entity (kind "entity") or an event."""
    table, column = {"entity": ("mentions", "entity_id"), "event": ("event_mentions", "event_id")}[kind]
    ids = list(article_ids)
    marks = ",".join("?" * len(ids))
    return {r[0] for r in conn.execute(
        f"SELECT DISTINCT sentence_id FROM {table} WHERE {column} = ? AND article_id IN ({marks}) "
        "AND sentence_id IS NOT NULL", [target_id, *ids])}


def suggest(conn: Conn, text: str, k: int = 5) -> list[str]:
    """Names whose aliases look like `text` (spelling) or share its words."""
    query = phrase_key(clean_topic(text))[:200]
    if not query:
        return []
    qwords = set(query.split()) - _STOPWORDS
    candidates: list[tuple[str, str, int]] = []  # (alias key, display name, weight)
    candidates += conn.execute(
        "SELECT a.key, e.name, COALESCE(c.n, 0) FROM entity_aliases a "
        "JOIN entities e ON e.id = a.entity_id LEFT JOIN (SELECT entity_id, COUNT(*) AS n "
        "FROM mentions GROUP BY entity_id) c ON c.entity_id = e.id "
        "ORDER BY c.n DESC LIMIT ?", [SUGGEST_POOL]).fetchall()
    candidates += [(k, name, n * 3) for k, name, n in conn.execute(
        "SELECT a.key, e.name, COALESCE(c.n, 0) FROM event_aliases a "
        "JOIN events e ON e.id = a.event_id LEFT JOIN (SELECT event_id, COUNT(*) AS n "
        "FROM event_articles GROUP BY event_id) c ON c.event_id = e.id "
        "ORDER BY c.n DESC LIMIT ?", [SUGGEST_POOL])]
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(query)
    best: dict[str, float] = {}
    for alias, name, n in candidates:
        words = set(alias.split())
        overlap = len(qwords & words) / len(qwords | words) if qwords else 0.0
        matcher.set_seq1(alias)
        ratio = matcher.ratio() if matcher.real_quick_ratio() >= 0.6 and \
            matcher.quick_ratio() >= 0.6 else 0.0
        word_ratio = max((difflib.SequenceMatcher(None, q, w).ratio()
                          for q in qwords for w in words if q[:1] == w[:1]), default=0.0)
        score = max(ratio, overlap, 0.9 * word_ratio)
        if score < 0.6:
            continue
        score += min(n, 50) / 1000  # break ties toward well-covered names
        best[name] = max(best.get(name, 0.0), score)
    return [n for n, _ in sorted(best.items(), key=lambda kv: -kv[1])][:k]


def articles_added_since(conn: Conn, since: datetime | None) -> list[ArticleRow]:
    if since is None:
        ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY added_at, id")]
    else:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM articles WHERE added_at > ? ORDER BY added_at, id", [iso_utc(since)])]
    return articles(conn, ids)


def articles_in_window(conn: Conn, *, published_after: datetime, published_until: datetime,
                       added_after: datetime | None) -> list[ArticleRow]:
    """Articles dated in (published_after, published_until], or added after `added_after`.

    What a digest reads: bounded by its period, however large the archive grows.
    """
    where, args = "published > ? AND published <= ?", [iso_utc(published_after),
                                                       iso_utc(published_until)]
    if added_after is not None:
        where, args = f"({where}) OR added_at > ?", [*args, iso_utc(added_after)]
    ids = [r[0] for r in conn.execute(
        f"SELECT id FROM articles WHERE {where} ORDER BY added_at, id", args)]
    return articles(conn, ids)


def publication_dates(conn: Conn, ids: Sequence[int]) -> dict[int, datetime | None]:
    """Each article's publication time (None: unknown), without loading any text."""
    out: dict[int, datetime | None] = {}
    ids = list(ids)
    for start in range(0, len(ids), 500):  # SQLite caps the number of parameters
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        out.update((r[0], _dt(r[1])) for r in conn.execute(
            f"SELECT id, published FROM articles WHERE id IN ({marks})", chunk))
    return out


def newest_published(conn: Conn, until: datetime) -> datetime | None:
    """The latest publication time at or before `until`, for "the newest day in the index"."""
    row = conn.execute("SELECT MAX(published) FROM articles WHERE published <= ?",
                       [iso_utc(until)]).fetchone()
    return _dt(row[0]) if row else None


__all__ = ["GROUP", "articles", "resolve_topic", "search", "suggest"]


def stats(conn: Conn) -> IndexStats:
    """What the index holds, in counts: for status pages and `ask -v`."""
    def one(sql: str):
        return conn.execute(sql).fetchone()[0]

    publishers = one("SELECT COUNT(DISTINCT publisher) FROM ("
                     "SELECT publisher FROM articles WHERE publisher IS NOT NULL UNION "
                     "SELECT publisher FROM article_sources WHERE publisher IS NOT NULL)")
    return IndexStats(articles=one("SELECT COUNT(*) FROM articles"),
                      publishers=publishers,
                      entities=one("SELECT COUNT(*) FROM entities"),
                      events=one("SELECT COUNT(*) FROM events"),
                      newest=_dt(one("SELECT MAX(published) FROM articles")))
