"""Read-side queries: rows, full-text search, topic resolution, suggestions.

Every user string reaches FTS5 only as quoted tokens, so query syntax typed
by a user (quotes, NEAR(, *, OR, -, ^) is searched for, never executed.

Every query reads within a `Scope` (bot.workspaces): only articles, sources, entities,
events and counts whose owner is in it. The default is the base corpus alone.
"""

from __future__ import annotations

import difflib
import math
import re
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone


from bot.index import aboutness, entity_store, vectors
from bot.index.aboutness import AboutKind, Presence
from bot.index.dialect import dialect
from bot.index.events import GROUP
from bot.index.gazetteer import gazetteer
from bot.index.entities import is_title
from bot.index.rows import (ArticleRow, Coverage, EntityRow, EventRow, IndexStats, SourceRef, Topic,
                            TopicKind, iso_utc)
from bot.index.sentence_text import SENTENCE_COLUMNS, article_texts
from bot.index.text import fold, phrase_key, words
from summarizer.lexical import STOPWORDS
from summarizer.types import Sentence
from bot.workspaces import Scope

Conn = sqlite3.Connection
_BASE = Scope.base()

#: How many of the most-mentioned aliases `suggest` compares against.
SUGGEST_POOL = 5000
#: Most tokens a search query keeps (a 10k-character paste is cut, not refused).
MAX_QUERY_TOKENS = 24
#: A query word whose IDF is at least this share of the query's rarest word's is one
#: an article must contain: "World Cup" needs "cup", not just the common "world".
REQUIRED_IDF_SHARE = 0.4
#: Most articles a free-text topic is weighed over.
TEXT_POOL = 400
#: ...ranked among at most this many matches, the most recently stored.
TEXT_CANDIDATES = 2000
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


def articles(conn: Conn, ids: Sequence[int], scope: Scope = _BASE) -> list[ArticleRow]:
    ids = [int(i) for i in ids]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    in_ws, owners = scope.sql("ws")
    rows = {r[0]: r for r in conn.execute(
        "SELECT id, title, text, publisher, published, url, origin, date_source, added_at "
        f"FROM articles WHERE id IN ({marks}) AND {in_ws}", [*ids, *owners])}
    sources: dict[int, list[SourceRef]] = {}
    for aid, pub, url, origin, title in conn.execute(
            "SELECT article_id, publisher, url, origin, title FROM article_sources "
            f"WHERE article_id IN ({marks}) AND {in_ws} ORDER BY id", [*ids, *owners]):
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


def sentences(conn: Conn, article_ids: Sequence[int], scope: Scope = _BASE) -> list[Sentence]:
    ids = list(dict.fromkeys(int(i) for i in article_ids))
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    in_ws, owners = scope.sql("a.ws")
    rows = conn.execute(
        f"SELECT s.id, s.article_id, s.position, {SENTENCE_COLUMNS} "
        f"FROM sentences s JOIN articles a ON a.id = s.article_id WHERE s.article_id IN ({marks}) "
        f"AND {in_ws}", [*ids, *owners]).fetchall()
    order = {aid: n for n, aid in enumerate(ids)}
    rows.sort(key=lambda r: (order[r[1]], r[2]))
    return _sentences(conn, rows)


def _sentences(conn: Conn, rows: Sequence[Sequence]) -> list[Sentence]:
    """Sentence rows (SENTENCE_COLUMNS) as Sentences, their text sliced from each article's
    text in Python: one read per article, where `substr` would walk a long article's text
    again for every sentence."""
    texts = article_texts(conn, {r[1] for r in rows if r[5] is not None})
    dates = {v: _dt(v) for v in {r[6] for r in rows}}
    vecs = vectors.decode_many([r[7] for r in rows])
    return [Sentence(r[0], r[1], r[2], r[3] if r[5] is None else texts[r[1]][r[4]:r[4] + r[5]],
                     dates[r[6]], v) for r, v in zip(rows, vecs, strict=True)]


def fts_tokens(text: str) -> list[str]:
    """Words of a user query, each safe to quote for FTS5."""
    # letters and digits only: "_" splits words for FTS5 too, and sentences_fts (no
    # positions) accepts single-word terms only
    return re.findall(r"[^\W_]+", text[:4000])[:MAX_QUERY_TOKENS]


def search(conn: Conn, text: str, *, limit: int = 50, scope: Scope = _BASE) -> list[int]:
    tokens = fts_tokens(text)
    if not tokens:
        return []
    content = [t for t in tokens if t.lower() not in STOPWORDS] or tokens
    quoted = ['"' + t.replace('"', '""') + '"' for t in content]
    in_ws, owners = scope.sql("a.ws")
    for joiner in (" AND ", " OR "):
        rows = dialect(conn).fts_ids(conn, "articles_fts", joiner.join(quoted), ranked=True,
                                     limit=limit, owned=(in_ws, owners))
        if rows:
            return rows
        if len(quoted) == 1:
            break
    return []


def clean_topic(text: str) -> str:
    """ "the latest on the Budapest summit?" -> "Budapest summit"."""
    text = re.sub(r"\s+", " ", text[:500].replace("’", "'")).strip().strip("?!.,;:'\"“”‘’ ")
    return _LEADING.sub("", text).strip().strip("?!.,;:'\"“”‘’ ")


def resolve_topic(conn: Conn, text: str, scope: Scope = _BASE) -> Topic:
    """What a user means by a topic, with the articles about it and those that only
    mention it: an event, else an entity, else the articles that contain the topic's
    distinctive words. The first of these with articles about it wins; failing that,
    the first with passing mentions. An entity stands for the topic only when its name
    accounts for every word asked ("Kenya election violence" is not Kenya)."""
    topic = clean_topic(text)
    if not topic:
        return Topic(TopicKind.NONE, text.strip()[:100])
    found: list[Topic] = []
    event_id = find_event(conn, topic, scope)
    if event_id:
        ev = event_row(conn, event_id, scope)
        assert ev is not None
        about, passing = aboutness.articles_of(conn, AboutKind.EVENT, ev.id, scope)
        found.append(Topic(TopicKind.EVENT, ev.name, ev.article_ids, event=ev, about_ids=about,
                           passing_ids=passing))
    entity_id = entity_store.lookup(conn, topic, scope)
    if entity_id and not _unexplained_words(conn, topic, entity_id, scope):
        ent = entity_row(conn, entity_id, scope)
        assert ent is not None
        about, passing = aboutness.articles_of(conn, AboutKind.ENTITY, ent.id, scope)
        found.append(Topic(TopicKind.ENTITY, ent.name, ent.article_ids, entity=ent,
                           about_ids=about, passing_ids=passing))
    if not any(t.about_ids for t in found):
        found.append(text_topic(conn, topic, scope))
    for want in (Coverage.ABOUT, Coverage.PASSING):
        for t in found:
            if t.coverage is want:
                return t
    return Topic(TopicKind.NONE, topic)


def _unexplained_words(conn: Conn, topic: str, entity_id: int, scope: Scope) -> set[str]:
    """Words of the topic that are neither the entity's name, an alias, a title nor a
    stopword: "election violence" in "Kenya election violence"."""
    in_ws, owners = scope.sql("ws")
    names = {w for (a,) in conn.execute(f"SELECT alias FROM entity_aliases WHERE entity_id = ? "
                                        f"AND {in_ws} UNION SELECT name FROM entities WHERE id = ?",
                                        [entity_id, *owners, entity_id]) for w in words(a)}
    return {w for w in words(topic) if w not in names and w not in STOPWORDS
            and not is_title(w) and len(w) > 1}


def _term(word: str) -> str:
    """A query word as an FTS5 term: longer forms ("Libya" finds "Libyan") and the singular
    of a plural ("protests" finds "protest"), but never a shorter stem ("Atlantis" does not
    find "Atlantic"); short words match exactly ("war" is not "warning")."""
    quoted = '"' + word.replace('"', '""') + '"'
    term = quoted + "*" if len(word) >= 4 else quoted
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return f'({term} OR "{word[:-1]}")'
    return term


def distinctive_terms(conn: Conn, text: str, scope: Scope = _BASE) -> list[str]:
    """The FTS5 terms of a topic's words that an article must contain, rarest in the index
    first: the words whose IDF over all articles is near the rarest one's. A word no article
    has is the rarest of all, so "World Cup 2026" finds nothing where only "world" is known."""
    # folding may split a token ("¼" -> "1⁄4"): each piece is one FTS5 term, as the
    # position-less indexes require
    words = list(dict.fromkeys(w for t in fts_tokens(text) for w in re.findall(r"[^\W_]+", fold(t))
                               if w not in STOPWORDS))
    if not words:
        return []
    total = article_count(conn, scope)
    terms = list(dict.fromkeys(_term(w) for w in words))
    idf = {t: math.log(1 + total / (1 + _doc_count(conn, t, scope))) for t in terms}
    top = max(idf.values())
    return sorted((t for t in terms if idf[t] >= REQUIRED_IDF_SHARE * top), key=lambda t: -idf[t])


def _doc_count(conn: Conn, expr: str, scope: Scope) -> int:
    """Articles in scope whose title or text match `expr`."""
    return dialect(conn).fts_count(conn, "articles_fts", expr, owned=scope.sql("a.ws"))


def text_topic(conn: Conn, topic: str, scope: Scope = _BASE) -> Topic:
    """A free-text topic: the articles with all its distinctive words, sorted into those
    about it (all of them in the headline or lead, or running through the text) and the rest.

    bm25's statistics are FTS5's own, over every owner's articles: they only order the
    candidates when more than TEXT_POOL articles in scope match (the order of the answer is
    by aboutness and date), so what is shown never depends on articles out of scope
    unless a topic has more than TEXT_POOL matches in scope."""
    terms = distinctive_terms(conn, topic, scope)
    if not terms:
        return Topic(TopicKind.NONE, topic)
    expr = " AND ".join(terms)
    in_ws, owners = scope.sql("a.ws")
    # bm25 ranks only the newest-stored TEXT_CANDIDATES matches (FTS5 walks rowids down and
    # stops there): ranking every match of "war" costs what the archive holds
    fts = dialect(conn)
    floor = fts.fts_floor(conn, "articles_fts", expr, TEXT_CANDIDATES, owned=(in_ws, owners))
    if floor is None:
        return Topic(TopicKind.NONE, topic)
    ids = fts.fts_ids(conn, "articles_fts", expr, lo=floor, ranked=True, limit=TEXT_POOL,
                      owned=(in_ws, owners))
    in_title = _matching(conn, "articles_fts", f"title : ({expr})", ids)
    in_lead = _matching(conn, "article_leads_fts", expr, ids)
    # the sentences that name the topic: as many as name its least-named word
    naming: dict[int, int] = {}
    owner = _sentence_owners(conn, ids)
    for n, term in enumerate(terms):
        counts: dict[int, int] = {}
        for sid in _sentences_matching(conn, term, owner):
            counts[owner[sid]] = counts.get(owner[sid], 0) + 1
        naming = counts if n == 0 else {a: min(c, counts.get(a, 0)) for a, c in naming.items()}
    totals = aboutness.sentence_counts(conn, ids)
    presence = {a: Presence(a in in_title, a in in_lead, naming.get(a, 0), *totals.get(a, (0, 0)))
                for a in ids}
    dates = publication_dates(conn, ids, scope)
    newest = sorted(ids, key=lambda a: (dates.get(a) is None, -(_stamp(dates.get(a))), -a))
    about = [a for a in newest if presence[a].about]
    about.sort(key=lambda a: -presence[a].tier)  # stable: newest first within a tier
    passing = [a for a in newest if not presence[a].about]
    return Topic(TopicKind.TEXT, topic, ids, about_ids=about, passing_ids=passing)


def _matching(conn: Conn, table: str, expr: str, ids: Sequence[int]) -> set[int]:
    """Which of `ids` match `expr` in an FTS5 table. "MATCH ? AND rowid IN (...)" tests every
    matching row against the list (slow for a common word in a big archive); a rowid range,
    which FTS5 seeks, and a set intersection are not."""
    wanted = set(ids)
    if not wanted:
        return set()
    return {i for i in dialect(conn).fts_ids(conn, table, expr, lo=min(wanted), hi=max(wanted))
            if i in wanted}


def text_sentence_ids(conn: Conn, topic: str, article_ids: Sequence[int],
                      scope: Scope = _BASE) -> set[int]:
    """Sentences of these articles with every distinctive word of a free-text topic."""
    terms = distinctive_terms(conn, clean_topic(topic), scope)
    ids = list(article_ids)
    if not terms or not ids:
        return set()
    return set(_sentences_matching(conn, " AND ".join(terms), _sentence_owners(conn, ids)))


def _sentence_owners(conn: Conn, article_ids: Sequence[int]) -> dict[int, int]:
    """{sentence id: article id} for every sentence of these articles (index only)."""
    ids = list(dict.fromkeys(article_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        out.update(conn.execute(f"SELECT id, article_id FROM sentences WHERE article_id IN ({marks})",
                                chunk).fetchall())
    return out


#: Sentence ids closer than this are searched in one rowid range.
_RANGE_GAP = 4096


def _sentences_matching(conn: Conn, expr: str, owner: dict[int, int]) -> list[int]:
    """The sentences among `owner`'s keys that match an FTS5 expression.

    Searched by rowid ranges around those sentences, which FTS5 seeks: the cost follows
    the articles asked about, not how often the word occurs in the whole archive (a join
    of every match with its sentence row took seconds for "war" in 100,000 articles)."""
    sids = sorted(owner)
    runs: list[list[int]] = []
    for sid in sids:
        if runs and sid - runs[-1][1] <= _RANGE_GAP:
            runs[-1][1] = sid
        else:
            runs.append([sid, sid])
    found: list[int] = []
    for lo, hi in runs:
        found.extend(i for i in dialect(conn).fts_ids(conn, "sentences_fts", expr, lo=lo, hi=hi)
                     if i in owner)
    return found


def _stamp(d: datetime | None) -> float:
    return d.timestamp() if d else 0.0


_KIND_QUERY = re.compile(r"\b(summits?|meetings?|meet|talks|negotiations|calls?|phone|"
                         r"strikes?|airstrikes?|attacks?|bombing|shelling)\b", re.IGNORECASE)
_QUERY_KIND = {"summit": "meet", "summits": "meet", "meeting": "meet", "meetings": "meet",
               "meet": "meet", "talks": "meet", "negotiations": "meet", "call": "call",
               "calls": "call", "phone": "call"}


def find_event(conn: Conn, topic: str, scope: Scope = _BASE) -> int | None:
    """An event named by `topic`: a known alias, or a place plus an event word
    ("summit in Hungary" finds the Budapest summit), or a bare city/state ("Alaska")."""
    key = phrase_key(topic)
    in_al, owners = scope.sql("a.ws")
    in_ar, _ = scope.sql("ar.ws")
    in_ev, _ = scope.sql("ws")
    row = conn.execute("SELECT a.event_id FROM event_aliases a JOIN event_articles ea "
                       "ON ea.event_id = a.event_id JOIN articles ar ON ar.id = ea.article_id "
                       f"WHERE a.key = ? AND {in_al} AND {in_ar} GROUP BY a.event_id "
                       "ORDER BY COUNT(DISTINCT a.alias) * COUNT(DISTINCT ea.article_id) DESC, "
                       "a.event_id LIMIT 1", [key, *owners, *owners]).fetchone()
    if row:
        return row[0]
    kind_match = _KIND_QUERY.search(topic)
    group = _QUERY_KIND.get(kind_match.group(1).lower(), "strike") if kind_match else None
    places = _places_in(topic)
    if group == "call":
        return _call_event(conn, set(phrase_key(topic).split()), scope)
    if not places:
        return None
    place = max(places, key=lambda p: p.specificity)
    rest = [w for w in phrase_key(_KIND_QUERY.sub(" ", topic)).split()
            if w not in STOPWORDS and w not in phrase_key(place.name).split()]
    if group is None and (place.kind == "country" or rest):
        return None  # "Hungary" alone is the country, not an event held there
    groups = [group] if group else ["meet"]
    for g in groups:
        key = f"meet|{fold(place.region)}" if g == "meet" else f"strike|{fold(place.name)}"
        row = conn.execute(f"SELECT id FROM events WHERE key = ? AND {in_ev} ORDER BY id",
                           [key, *owners]).fetchone()
        if row:
            return row[0]
    return None


def _call_event(conn: Conn, words: set[str], scope: Scope) -> int | None:
    """The latest call whose every participant's surname is among the query's words."""
    best: tuple[str, int] | None = None
    in_ev, owners = scope.sql("ws")
    for event_id, key in conn.execute(f"SELECT id, key FROM events WHERE key LIKE 'call|%' "
                                      f"AND {in_ev} ORDER BY id", owners):
        parts = key.split("|")
        surnames, month = parts[1:-1], parts[-1]
        when = "" if month == "undated" else month
        if surnames and all(s in words for s in surnames) and (best is None or when > best[0]):
            best = (when, event_id)
    return best[1] if best else None


def _places_in(topic: str) -> list:
    found = [p for _, _, p in gazetteer().find(topic.title())]
    return found


def event_row(conn: Conn, event_id: int, scope: Scope = _BASE) -> EventRow | None:
    in_ws, owners = scope.sql("ws")
    r = conn.execute(f"SELECT id, name, kind, place FROM events WHERE id = ? AND {in_ws}",
                     [event_id, *owners]).fetchone()
    if not r:
        return None
    aliases = [a[0] for a in conn.execute(
        f"SELECT DISTINCT alias FROM event_aliases WHERE event_id = ? AND alias != ? AND {in_ws} "
        "ORDER BY alias", [event_id, r[1], *owners])]
    in_a, _ = scope.sql("s.ws")
    ids = [a[0] for a in conn.execute(
        "SELECT a.id FROM articles a WHERE a.id IN (SELECT x.article_id FROM event_articles x "
        f"JOIN articles s ON s.id = x.article_id WHERE x.event_id = ? AND {in_a} "
        f"ORDER BY x.article_id DESC LIMIT ?) {_ARTICLE_ORDER}",
        [event_id, *owners, aboutness.TOPIC_ARTICLES])]
    return EventRow(r[0], r[1], r[2], r[3], aliases, ids)


def _events_by_coverage(conn: Conn, scope: Scope, limit: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the events in scope, the most discussed first: by articles in scope,
    then by mentions in them."""
    in_ev, owners = scope.sql("e.ws")
    in_a, _ = scope.sql("a.ws")
    sql = ("SELECT e.id, e.name FROM events e LEFT JOIN (SELECT ea.event_id, ea.article_id, "
           f"ea.mentions FROM event_articles ea JOIN articles a ON a.id = ea.article_id "
           f"WHERE {in_a}) x ON x.event_id = e.id WHERE {in_ev} "
           "GROUP BY e.id ORDER BY COUNT(x.article_id) DESC, SUM(x.mentions) DESC, e.id")
    args: list[object] = [*owners, *owners]
    if limit is not None:
        sql, args = sql + " LIMIT ?", [*args, limit]
    return [(r[0], r[1]) for r in conn.execute(sql, args)]


def all_events(conn: Conn, scope: Scope = _BASE) -> list[EventRow]:
    return [ev for ev in (event_row(conn, i, scope) for i, _ in _events_by_coverage(conn, scope))
            if ev]


def entity_row(conn: Conn, entity_id: int, scope: Scope = _BASE) -> EntityRow | None:
    """An entity as `scope` sees it: its owner's name, the aliases and mentions in scope."""
    in_ws, owners = scope.sql("ws")
    r = conn.execute(f"SELECT id, name, type FROM entities WHERE id = ? AND {in_ws}",
                     [entity_id, *owners]).fetchone()
    if not r:
        return None
    aliases = [a[0] for a in conn.execute(
        f"SELECT alias FROM entity_aliases WHERE entity_id = ? AND alias != ? AND {in_ws} "
        "GROUP BY alias ORDER BY SUM(count) DESC, alias", [entity_id, r[1], *owners])]
    in_a, _ = scope.sql("s.ws")
    ids = [a[0] for a in conn.execute(
        "SELECT a.id FROM articles a WHERE a.id IN (SELECT DISTINCT m.article_id FROM mentions m "
        f"JOIN articles s ON s.id = m.article_id WHERE m.entity_id = ? AND {in_a} "
        f"ORDER BY m.article_id DESC LIMIT ?) {_ARTICLE_ORDER}",
        [entity_id, *owners, aboutness.TOPIC_ARTICLES])]
    # every mention counted one sighting of an alias by its article's owner
    # (entity_store.record), so the alias counts in scope add up to the mentions in scope
    n = conn.execute(f"SELECT COALESCE(SUM(count), 0) FROM entity_aliases WHERE entity_id = ? "
                     f"AND {in_ws}", [entity_id, *owners]).fetchone()[0]
    return EntityRow(r[0], r[1], r[2], aliases, ids, n)


def all_entities(conn: Conn, scope: Scope = _BASE) -> list[EntityRow]:
    """Every entity in scope, most mentioned first; three queries however many there are."""
    in_al, owners = scope.sql("a.ws")
    in_e, _ = scope.sql("e.ws")
    aliases: dict[int, list[str]] = {}
    for eid, alias in conn.execute("SELECT a.entity_id, a.alias FROM entity_aliases a "
                                   "JOIN entities e ON e.id = a.entity_id WHERE a.alias != e.name "
                                   f"AND {in_al} AND {in_e} GROUP BY a.entity_id, a.alias "
                                   "ORDER BY a.entity_id, SUM(a.count) DESC, a.alias",
                                   [*owners, *owners]):
        aliases.setdefault(eid, []).append(alias)
    articles_of: dict[int, list[int]] = {}
    counts: dict[int, int] = {}
    for eid, aid, n in conn.execute(
            "SELECT m.entity_id, a.id, COUNT(*) FROM mentions m "
            f"JOIN articles a ON a.id = m.article_id WHERE {in_al} "
            "GROUP BY m.entity_id, a.id "
            "ORDER BY m.entity_id, a.published IS NULL, a.published DESC, a.id DESC", owners):
        articles_of.setdefault(eid, []).append(aid)
        counts[eid] = counts.get(eid, 0) + n
    rows = [EntityRow(eid, name, etype, aliases.get(eid, []), articles_of.get(eid, []),
                      counts.get(eid, 0))
            for eid, name, etype in conn.execute(
                f"SELECT e.id, e.name, e.type FROM entities e WHERE {in_e}", owners)]
    rows.sort(key=lambda e: (-e.mentions, e.name))
    return rows


def entity_reach(conn: Conn, article_ids: Sequence[int],
                 scope: Scope = _BASE) -> list[tuple[int, str, int]]:
    """(article id, entity type, how many articles name the entity) for every entity named
    in these articles: what a digest weighs a story by, read for the period's articles
    only (all_entities loads every entity of the archive)."""
    ids = list(dict.fromkeys(int(i) for i in article_ids))
    in_a, owners = scope.sql("a.ws")
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        pairs += conn.execute("SELECT DISTINCT m.article_id, m.entity_id FROM mentions m JOIN "
                              f"articles a ON a.id = m.article_id WHERE m.article_id IN ({marks}) "
                              f"AND {in_a}", [*chunk, *owners]).fetchall()
    entities = sorted({e for _, e in pairs})
    reach: dict[int, tuple[str, int]] = {}
    for start in range(0, len(entities), 500):
        chunk = entities[start:start + 500]
        marks = ",".join("?" * len(chunk))
        types = dict(conn.execute(f"SELECT id, type FROM entities WHERE id IN ({marks})", chunk))
        for eid, n in conn.execute(
                "SELECT m.entity_id, COUNT(DISTINCT m.article_id) FROM mentions m JOIN articles a "
                f"ON a.id = m.article_id WHERE m.entity_id IN ({marks}) AND {in_a} "
                "GROUP BY m.entity_id", [*chunk, *owners]):
            if eid in types:
                reach[eid] = (types[eid], n)
    return [(a, *reach[e]) for a, e in pairs if e in reach]


def articles_naming_entities(conn: Conn, scope: Scope = _BASE) -> int:
    """How many articles in scope name at least one entity (reads the mentions index)."""
    in_a, owners = scope.sql("a.ws")
    return conn.execute("SELECT COUNT(DISTINCT m.article_id) FROM mentions m JOIN articles a "
                        f"ON a.id = m.article_id WHERE {in_a}", owners).fetchone()[0]


def most_covered(conn: Conn, k: int, scope: Scope = _BASE) -> list[str]:
    """The k most discussed events, then the k most mentioned people (the orders of
    all_events and all_entities), without loading every row to pick a few."""
    in_e, owners = scope.sql("e.ws")
    in_a, _ = scope.sql("a.ws")
    events = [name for _, name in _events_by_coverage(conn, scope, k)]
    people = [r[0] for r in conn.execute(
        "SELECT e.name FROM entities e JOIN mentions m ON m.entity_id = e.id "
        f"JOIN articles a ON a.id = m.article_id WHERE e.type = 'PERSON' AND {in_e} AND {in_a} "
        "GROUP BY e.id ORDER BY COUNT(*) DESC, e.name LIMIT ?", [*owners, *owners, k])]
    return events + people


def entity_sentences(conn: Conn, entity_id: int, newest_articles: int = -1,
                     scope: Scope = _BASE) -> list[Sentence]:
    """Sentences naming the entity, from its `newest_articles` newest articles in scope
    (all: -1)."""
    in_a, owners = scope.sql("a.ws")
    rows = conn.execute(
        f"SELECT s.id, s.article_id, s.position, {SENTENCE_COLUMNS} "
        "FROM sentences s JOIN articles a ON a.id = s.article_id "
        "WHERE s.id IN (SELECT sentence_id FROM mentions WHERE entity_id = ?) "
        "AND s.article_id IN (SELECT a.id FROM articles a WHERE a.id IN (SELECT article_id "
        f"FROM mentions WHERE entity_id = ?) AND {in_a} {_ARTICLE_ORDER} LIMIT ?) "
        "ORDER BY a.published IS NULL, a.published DESC, a.id DESC, s.position",
        # LIMIT -1 is SQLite's "no limit"; a bound larger than any archive is both backends'
        [entity_id, entity_id, *owners,
         newest_articles if newest_articles >= 0 else 2**62]).fetchall()
    return _sentences(conn, rows)


def mentioning_sentence_ids(conn: Conn, kind: str, target_id: int,
                            article_ids: Sequence[int]) -> set[int]:
    """Sentences of these articles that mention an entity (kind "entity") or an event."""
    table, column = {"entity": ("mentions", "entity_id"), "event": ("event_mentions", "event_id")}[kind]
    ids = list(article_ids)
    marks = ",".join("?" * len(ids))
    return {r[0] for r in conn.execute(
        f"SELECT DISTINCT sentence_id FROM {table} WHERE {column} = ? AND article_id IN ({marks}) "
        "AND sentence_id IS NOT NULL", [target_id, *ids])}


def suggest(conn: Conn, text: str, k: int = 5, scope: Scope = _BASE) -> list[str]:
    """Names in scope whose aliases look like `text` (spelling) or share its words."""
    query = phrase_key(clean_topic(text))[:200]
    if not query:
        return []
    qwords = set(query.split()) - STOPWORDS
    in_al, owners = scope.sql("a.ws")
    in_m, _ = scope.sql("ar.ws")
    candidates: list[tuple[str, str, int]] = []  # (alias key, display name, weight)
    # mentions in scope, counted as the alias sightings they were (entity_store.record)
    candidates += conn.execute(
        "SELECT a.key, e.name, COALESCE(c.n, 0) FROM entity_aliases a "
        "JOIN entities e ON e.id = a.entity_id LEFT JOIN (SELECT entity_id, SUM(count) AS n "
        f"FROM entity_aliases ar WHERE {in_m} GROUP BY entity_id) c ON c.entity_id = e.id "
        f"WHERE {in_al} ORDER BY COALESCE(c.n, 0) DESC, a.entity_id, a.alias LIMIT ?",
        [*owners, *owners, SUGGEST_POOL]).fetchall()
    candidates += [(k, name, n * 3) for k, name, n in conn.execute(
        "SELECT a.key, e.name, COALESCE(c.n, 0) FROM event_aliases a "
        "JOIN events e ON e.id = a.event_id LEFT JOIN (SELECT ea.event_id, COUNT(*) AS n "
        f"FROM event_articles ea JOIN articles ar ON ar.id = ea.article_id WHERE {in_m} "
        f"GROUP BY ea.event_id) c ON c.event_id = e.id WHERE {in_al} "
        "ORDER BY COALESCE(c.n, 0) DESC, a.event_id, a.alias LIMIT ?",
        [*owners, *owners, SUGGEST_POOL])]
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


def articles_added_since(conn: Conn, since: datetime | None,
                         scope: Scope = _BASE) -> list[ArticleRow]:
    in_ws, owners = scope.sql("ws", by_index=False)
    if since is None:
        ids = [r[0] for r in conn.execute(f"SELECT id FROM articles WHERE {in_ws} "
                                          "ORDER BY added_at, id", owners)]
    else:
        ids = [r[0] for r in conn.execute(
            f"SELECT id FROM articles WHERE added_at > ? AND {in_ws} ORDER BY added_at, id",
            [iso_utc(since), *owners])]
    return articles(conn, ids, scope)


def articles_in_window(conn: Conn, *, published_after: datetime, published_until: datetime,
                       added_after: datetime | None, scope: Scope = _BASE) -> list[ArticleRow]:
    """Articles dated in (published_after, published_until], or added after `added_after`.

    What a digest reads: bounded by its period, however large the archive grows.
    """
    where, args = "published > ? AND published <= ?", [iso_utc(published_after),
                                                       iso_utc(published_until)]
    if added_after is not None:
        # a UNION, not an OR: each half seeks its own index (the OR scanned every article)
        where = (f"id IN (SELECT id FROM articles WHERE {where} "
                 "UNION ALL SELECT id FROM articles WHERE added_at > ?)")
        args = [*args, iso_utc(added_after)]
    in_ws, owners = scope.sql("ws", by_index=False)
    ids = [r[0] for r in conn.execute(
        f"SELECT id FROM articles WHERE ({where}) AND {in_ws} ORDER BY added_at, id",
        [*args, *owners])]
    return articles(conn, ids, scope)


def publication_dates(conn: Conn, ids: Sequence[int],
                      scope: Scope = _BASE) -> dict[int, datetime | None]:
    """Each article's publication time (None: unknown), without loading any text."""
    out: dict[int, datetime | None] = {}
    ids = list(ids)
    in_ws, owners = scope.sql("ws")
    for start in range(0, len(ids), 500):  # SQLite caps the number of parameters
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        out.update((r[0], _dt(r[1])) for r in conn.execute(
            f"SELECT id, published FROM articles WHERE id IN ({marks}) AND {in_ws}",
            [*chunk, *owners]))
    return out


def newest_published(conn: Conn, until: datetime, scope: Scope = _BASE) -> datetime | None:
    """The latest publication time at or before `until`, for "the newest day in the index"."""
    in_ws, owners = scope.sql("ws", by_index=False)
    row = conn.execute(f"SELECT MAX(published) FROM articles WHERE published <= ? AND {in_ws}",
                       [iso_utc(until), *owners]).fetchone()
    return _dt(row[0]) if row else None


__all__ = ["GROUP", "articles", "resolve_topic", "search", "suggest"]


def article_count(conn: Conn, scope: Scope = _BASE) -> int:
    in_ws, owners = scope.sql("ws")
    return conn.execute(f"SELECT COUNT(*) FROM articles WHERE {in_ws}", owners).fetchone()[0]


def stats(conn: Conn, scope: Scope = _BASE) -> IndexStats:
    """What the index holds in scope, in counts: for status pages and `ask -v`."""
    in_ws, owners = scope.sql("ws")

    def one(sql: str, repeat: int = 1):
        return conn.execute(sql, owners * repeat).fetchone()[0]

    publishers = one("SELECT COUNT(DISTINCT publisher) FROM ("
                     f"SELECT publisher FROM articles WHERE publisher IS NOT NULL AND {in_ws} "
                     "UNION SELECT publisher FROM article_sources WHERE publisher IS NOT NULL "
                     f"AND {in_ws}) p", 2)
    return IndexStats(articles=article_count(conn, scope),
                      publishers=publishers,
                      entities=one(f"SELECT COUNT(*) FROM entities WHERE {in_ws}"),
                      events=one(f"SELECT COUNT(*) FROM events WHERE {in_ws}"),
                      newest=_dt(one(f"SELECT MAX(published) FROM articles WHERE {in_ws}")))
