"""What an article is about, decided once at ingest and stored.

A name in the headline or the lead, or in a good share of the sentences, makes an
article *about* it; a name in one sentence of the fourteenth paragraph is a passing
mention ("…a photographer who once covered Haiti"). Briefings read only articles
about their topic, so this is worked out when the article is written (and again
when a later article merges two entities or links an event to it), never per
question. Free-text topics use the same rule (`Presence.about`), with the headline
and lead text stored here in `article_leads_fts`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.index.sentence_text import article_sentences
from bot.index.text import phrase_key
from bot.index.dialect import dialect
from bot.workspaces import Scope

Conn = sqlite3.Connection

#: The lead: the sentences after the headline that tell the story.
LEAD_SENTENCES = 3
#: A name in at least this share of an article's sentences is central to it...
CENTRAL_SHARE = 0.2
#: ...and so is one named at least half as often as the article's most named person,
#: place or organisation (or event): a long article may name its subject in 5% of
#: its sentences and still be about nothing else.
CENTRAL_PROMINENCE = 0.5
#: Central, or in the lead, needs at least this many sentences: one is a passing mention.
REPEATED = 2
#: A name the text returns to this often is central at half the share.
RECURRING = 3
#: Articles rank first by tier of aboutness (in the headline, central, in the lead: one
#: point each), then by recency: small differences of share do not beat news.
TIER_SQL = (f"(ab.in_title + (CASE WHEN ab.sentences >= {REPEATED} AND (ab.share >= {CENTRAL_SHARE} "
            f"OR ab.prominence >= {CENTRAL_PROMINENCE} OR (ab.sentences >= {RECURRING} "
            f"AND ab.share >= {CENTRAL_SHARE / 2})) THEN 1 ELSE 0 END) + ab.in_lead)")


#: A topic reads at most this many of its articles, the most recently stored: the cost of a
#: question about "United States" must not grow with the archive. Smaller archives (and
#: topics named by fewer articles) are read whole, so their answers are unchanged.
TOPIC_ARTICLES = 2000


class AboutKind(StrEnum):
    """What an aboutness row describes."""

    ENTITY = "entity"
    EVENT = "event"


@dataclass(frozen=True, slots=True)
class Presence:
    """Where a topic appears in one article: the evidence for "about" or "passing"."""

    in_title: bool
    in_lead: bool
    sentences: int  # how many of its sentences name the topic
    total: int      # how many sentences the article has
    #: Most sentences naming any one thing of the same kind in this article.
    most: int = 0

    @property
    def share(self) -> float:
        return self.sentences / self.total if self.total else 0.0

    @property
    def prominence(self) -> float:
        """1.0 for the article's most named thing; 0.25 for one named a quarter as often."""
        return self.sentences / max(self.most, self.sentences, 1)

    @property
    def central(self) -> bool:
        return self.sentences >= REPEATED and (
            self.share >= CENTRAL_SHARE or self.prominence >= CENTRAL_PROMINENCE
            or (self.sentences >= RECURRING and self.share >= CENTRAL_SHARE / 2))

    @property
    def about(self) -> bool:
        """The headline names it, or the lead does and the text returns to it, or it runs
        through the text. Anything less is a passing mention."""
        return self.in_title or (self.in_lead and self.sentences >= REPEATED) or self.central

    @property
    def tier(self) -> int:
        """How much the article is about it (0-3), as TIER_SQL computes it in SQL."""
        return int(self.in_title) + int(self.central) + int(self.in_lead)


def _contains(haystack_key: str, names: Iterable[str]) -> bool:
    padded = f" {haystack_key} "
    return any(f" {k} " in padded for k in (phrase_key(n) for n in names) if k)


def refresh_article(conn: Conn, article_id: int) -> None:
    """Recompute every aboutness row of one article, and its stored lead text."""
    # every column by name: an older schema step backfills this before articles had `ws`
    cur = conn.execute("SELECT * FROM articles WHERE id = ?", [article_id])
    found_row = cur.fetchone()
    if found_row is None:
        return
    columns = dict(zip((d[0] for d in cur.description), found_row))
    row = (columns["title"],)
    # what the article's own owner knows the names by: another owner's aliases never count
    scope = Scope.of(columns["ws"]) if "ws" in columns else None
    title_key = phrase_key(row[0] or "")
    positions = dict(conn.execute("SELECT id, position FROM sentences WHERE article_id = ?",
                                  [article_id]).fetchall())
    total = len(positions)
    conn.execute("DELETE FROM aboutness WHERE article_id = ?", [article_id])
    targets: dict[tuple[AboutKind, int], set[int]] = {}
    for eid, sid in conn.execute("SELECT entity_id, sentence_id FROM mentions WHERE article_id = ?",
                                 [article_id]):
        targets.setdefault((AboutKind.ENTITY, eid), set()).add(sid)
    for eid, sid in conn.execute("SELECT event_id, sentence_id FROM event_mentions "
                                 "WHERE article_id = ?", [article_id]):
        targets.setdefault((AboutKind.EVENT, eid), set()).update([sid] if sid else [])
    found = {key: {positions[s] for s in sids if s in positions} for key, sids in targets.items()}
    most: dict[AboutKind, int] = {}
    for (kind, _), where in found.items():
        most[kind] = max(most.get(kind, 0), len(where))
    rows = []
    for (kind, target), where in found.items():
        p = Presence(in_title=_contains(title_key, _names(conn, kind, target, scope)),
                     in_lead=any(pos < LEAD_SENTENCES for pos in where),
                     sentences=len(where), total=total, most=most[kind])
        rows.append((article_id, str(kind), target, int(p.in_title), int(p.in_lead),
                     p.sentences, p.share, p.prominence, int(p.about)))
    conn.executemany("INSERT INTO aboutness(article_id, kind, target_id, in_title, in_lead, "
                     "sentences, share, prominence, about) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     rows)
    lead = " ".join([row[0] or "", *(t for _, t in article_sentences(conn, article_id,
                                                                    LEAD_SENTENCES))])
    fts = dialect(conn)
    fts.fts_drop(conn, "article_leads_fts", [(article_id, None)])
    fts.fts_add(conn, "article_leads_fts", [(article_id, lead)])


def refresh_articles(conn: Conn, article_ids: Iterable[int]) -> None:
    for aid in dict.fromkeys(article_ids):
        refresh_article(conn, aid)


def _names(conn: Conn, kind: AboutKind, target: int, scope: Scope | None) -> list[str]:
    """The target's name and aliases as `scope` knows them (None: a schema before owners)."""
    in_ws, owners = scope.sql("ws") if scope else ("1 = 1", [])
    if kind is AboutKind.ENTITY:
        return [r[0] for r in conn.execute(
            f"SELECT alias FROM entity_aliases WHERE entity_id = ? AND {in_ws} "
            "UNION SELECT name FROM entities WHERE id = ?", [target, *owners, target])]
    return [r[0] for r in conn.execute(
        f"SELECT alias FROM event_aliases WHERE event_id = ? AND {in_ws} "
        "UNION SELECT name FROM events WHERE id = ?", [target, *owners, target])]


def articles_of(conn: Conn, kind: AboutKind, target: int,
                scope: Scope | None = None) -> tuple[list[int], list[int]]:
    """(articles about the target, most about first, then newest; articles that only
    mention it in passing, newest first), among its `TOPIC_ARTICLES` most recently stored
    articles in `scope`."""
    in_ws, owners = (scope or Scope.base()).sql("s.ws")
    about: list[int] = []
    passing: list[int] = []
    for aid, is_about in conn.execute(
            "SELECT ab.article_id, ab.about FROM (SELECT x.* FROM aboutness x JOIN articles s "
            f"ON s.id = x.article_id WHERE x.kind = ? AND x.target_id = ? AND {in_ws} "
            "ORDER BY x.article_id DESC LIMIT ?) ab JOIN articles a "
            "ON a.id = ab.article_id "
            "ORDER BY ab.about DESC, " + TIER_SQL + " DESC, a.published IS NULL, "
            "a.published DESC, a.id DESC", [str(kind), target, *owners, TOPIC_ARTICLES]):
        (about if is_about else passing).append(aid)
    return about, passing


def tier(p: Presence) -> int:
    """The same tier as TIER_SQL, for presences computed outside SQL (free text)."""
    return int(p.in_title) + int(p.share >= CENTRAL_SHARE) + int(p.in_lead)


def sentence_counts(conn: Conn, article_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per article: (how many sentences it has, most sentences naming any one entity)."""
    ids = list(article_ids)
    out: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        # "kind || ''": look the rows up by article, not by kind (every row of that kind);
        # an expression, not a column, keeps the planner off the kind index on both backends
        most = dict(conn.execute(f"SELECT article_id, MAX(sentences) FROM aboutness WHERE "
                                 f"kind || '' = ? AND article_id IN ({marks}) GROUP BY article_id",
                                 [str(AboutKind.ENTITY), *chunk]).fetchall())
        for aid, n in conn.execute(f"SELECT article_id, COUNT(*) FROM sentences WHERE article_id "
                                   f"IN ({marks}) GROUP BY article_id", chunk):
            out[aid] = (n, most.get(aid, 0))
    return out
