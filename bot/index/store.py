"""The entity index: articles, sentences with embeddings, entities, events, FTS5.

`Index.add` stores one article in ONE transaction — dedup check, rows,
sentences, full-text rows, entities and events — so a killed process never
leaves half an article, and adding the same story again only records its
source. The slow parts (spaCy, MiniLM) run before the transaction opens;
`add_many` batches them across articles.

Thread-safety: one lock guards the connection; call from one worker thread.

`Index` is the storage interface: commands, digests and adapters use only its public
methods and the plain rows of bot.index.rows, never SQL. A second backend implements
the same methods (listed, with their transaction boundaries, in docs/storage.md).
Texts are stored once (sentences are offsets into their article, bot.index.sentence_text),
vectors as int8 (bot.index.vectors), and `prune`/`maintain` apply retention and give
space back (bot.index.retention).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Settings
from bot.index import (aboutness, entity_store, event_store, pg_schema, queries, retention,
                       speakers, vector_space, vectors)
from bot.index.backend import DatabaseUrl
from bot.index.db import StorageError, connect, migrate, read_only_error, transaction
from bot.index.dialect import dialect
from bot.index.embed_policy import vector_mask
from bot.index.dedup import JACCARD_THRESHOLD, Fingerprint, jaccard, shingles
from bot.index.entities import Mention, entity_docs, extract_mentions, resolve_in_article
from bot.index.event_time import is_earlier_occurrence
from bot.index.events import EventMention, find_events, place_links
from bot.index.rows import (AddResult, AddStatus, ArticleRow, EntityRow, EventRow, IndexStats,
                            MaintainResult, PruneResult, SourceRef, Topic, iso_utc)
from bot.index.schema import COMPONENT, STEPS
from bot.index.sentence_text import offsets
from bot.index.shared import shared_encoder, shared_nlp
from bot.ingest.model import Article
from bot.workspaces import Scope
from summarizer.embeddings import Encoder
from summarizer.sentences import split_sentences
from summarizer.types import Sentence

log = logging.getLogger(__name__)

__all__ = ["AddResult", "ArticleRow", "EntityRow", "EventRow", "Index", "MaintainResult",
           "PruneResult", "SourceRef", "Topic"]

#: Articles prepared (NER + embeddings) together by add_many.
BATCH = 16
#: Most sentences parsed and encoded at once: bounds ingest memory whatever the article
#: sizes (16 typical news articles are ~1,700 sentences; one 5 MB page is ~50,000).
ANALYSE_SENTENCES = 1024
#: Longest sentence stored; longer "sentences" are page debris, cut so FTS and MiniLM cope.
MAX_SENTENCE_CHARS = 2000
#: Articles pruned per retention transaction.
PRUNE_BATCH = 100

Progress = Callable[..., Any] | Any


@dataclass
class _Prepared:
    """Everything computed for an article before its write transaction."""

    article: Article
    fingerprint: Fingerprint
    sentences: list[str]
    #: One per sentence: a float32 vector, or None where the embed policy gives none.
    embeddings: list[np.ndarray | None] | None = None
    mentions: list[Mention] | None = None
    events: list[EventMention] | None = None


class Index:
    """The one SQLite-backed store every command reads and ingest writes."""

    def __init__(self, path: str | Path | DatabaseUrl, settings: Settings | None = None, *,
                 encoder: Encoder | None = None, nlp: Any = None) -> None:
        self.settings = settings or Settings()
        self.path = path
        self.db = connect(path)
        self.conn = self.db.conn
        self._lock = threading.RLock()
        self._nlp_lock = threading.Lock()
        self._encoder = encoder
        self._nlp = nlp
        #: articles_naming_entities per scope, with the state of the file it was counted at;
        #: shared by every view `scoped` makes, so each digest does not count again.
        self._naming_counts: dict[Scope, tuple[object, int]] = {}
        #: What reads draw on when not told: the base corpus (see `scoped`).
        self.scope = Scope.base()
        with self._lock:
            migrate(self.db, COMPONENT, STEPS, pg_schema.STEPS)
            if not self.read_only:
                migrate(self.db, vector_space.COMPONENT, vector_space.STEPS,
                        vector_space.PG_STEPS)
            vector_space.check(self.conn, self.encoder.identity, str(path),
                               writable=not self.read_only)

    # --- models, loaded on first need ------------------------------------------
    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = shared_encoder(self.settings.embedding_model, self.settings.encoder)
        return self._encoder

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._nlp = shared_nlp(self.settings.spacy_model)
        return self._nlp

    @property
    def read_only(self) -> bool:
        """Opened read-only (the file or its folder may not be written): answers, no ingest."""
        return bool(getattr(self.conn, "read_only", False))

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # --- writing ---------------------------------------------------------------
    def add(self, article: Article) -> AddResult:
        """Store one article, or record it as another source of a story we have."""
        return self.add_many([article])[0]

    def add_many(self, articles: Iterable[Article], progress: Progress = None) -> list[AddResult]:
        """Add articles in order; NER and embeddings run in batches across articles.

        `progress` may be a tqdm-like object (`.update(1)` per article) or a callable
        `progress(done, total)`."""
        items = list(articles)
        results: list[AddResult] = []
        if self.read_only and items:  # before minutes of model work, not after
            raise read_only_error(self.path)
        try:
            for start in range(0, len(items), BATCH):
                chunk = items[start:start + BATCH]
                prepared = [self._fingerprint(a) for a in chunk]
                fresh = [p for p in prepared if self._find_duplicate(p) is None]
                self._analyse(_dedupe_within(fresh))
                for p in prepared:
                    results.append(self._write(p))
                    _tick(progress, len(results), len(items))
        except StorageError as exc:  # the disk or the file failed: say what got in before it
            exc.completed = list(results)
            raise
        return results

    def _fingerprint(self, article: Article) -> _Prepared:
        sentences = [s[:MAX_SENTENCE_CHARS] for s in split_sentences(article.text)]
        return _Prepared(article, Fingerprint.of(article.text), sentences)

    def _analyse(self, prepared: Sequence[_Prepared]) -> None:
        """The slow part, outside any transaction: embeddings, entities, events.

        Works through the batch's sentences in slices of at most ANALYSE_SENTENCES, so
        the spaCy docs and encoder activations alive at once do not grow with the input:
        one 5 MB article costs the same peak memory as sixteen short ones."""
        if not prepared:
            return
        masks = [vector_mask(p.sentences, self.settings.embed_sentences) for p in prepared]
        found: list[list[Mention]] = [[] for _ in prepared]
        failed: set[int] = set()
        for p in prepared:
            p.embeddings = []
        for pieces in _slices(prepared, ANALYSE_SENTENCES):
            flat = [s for i, lo, hi in pieces for s in prepared[i].sentences[lo:hi]]
            mask = [m for i, lo, hi in pieces for m in masks[i][lo:hi]]
            wanted = [s for s, m in zip(flat, mask) if m]
            encoded = iter(self.encoder.encode(wanted)) if wanted else iter(())
            vectors = [next(encoded) if m else None for m in mask]
            with self._nlp_lock:  # spaCy pipelines are not documented as thread-safe
                docs = entity_docs(self.nlp, flat)
            at = 0
            for i, lo, hi in pieces:
                p, n = prepared[i], hi - lo
                assert p.embeddings is not None
                p.embeddings.extend(vectors[at:at + n])
                if i not in failed:
                    try:
                        found[i].extend(replace(m, sentence=m.sentence + lo) for m in
                                        extract_mentions(docs[at:at + n], p.sentences[lo:hi]))
                    except Exception:  # noqa: BLE001 - a rule bug must not lose the article itself
                        log.exception("entity extraction failed for %s; storing it without",
                                      p.article.origin or p.article.title[:60])
                        failed.add(i)
                at += n
            del docs, vectors  # freed before the next slice is parsed
        for i, p in enumerate(prepared):
            p.mentions, p.events = [], []
            if i in failed:
                continue
            try:
                p.mentions = resolve_in_article(found[i])
                p.events = _article_events(p)
            except Exception:  # noqa: BLE001 - a rule bug must not lose the article itself
                log.exception("entity/event extraction failed for %s; storing it without",
                              p.article.origin or p.article.title[:60])
                p.mentions, p.events = [], []

    def _find_duplicate(self, p: _Prepared) -> int | None:
        """The stored article this one repeats: same key, same normalised text, or a
        near-duplicate confirmed by Jaccard over word shingles; only among the articles
        its owner may see (the base corpus's and its own: bot.workspaces)."""
        scope = Scope.of(p.article.workspace)
        in_ws, owners = scope.sql("ws")
        in_hash, _ = scope.sql("ws", by_index=False)
        in_a, _ = scope.sql("a.ws")
        with self._lock:
            keys = [k for k in p.article.keys if k]
            if keys:
                marks = ",".join("?" * len(keys))
                row = self.conn.execute(
                    f"SELECT article_id FROM article_keys WHERE key IN ({marks}) AND {in_ws} "
                    "ORDER BY article_id", [*keys, *owners]).fetchone()
                if row:
                    return row[0]
            row = self.conn.execute(f"SELECT id FROM articles WHERE content_hash = ? AND {in_hash} "
                                    "ORDER BY id", [p.fingerprint.hash, *owners]).fetchone()
            if row:
                return row[0]
            if not p.fingerprint.buckets:
                return None
            clause = " OR ".join("(b.band = ? AND b.bucket = ?)" for _ in p.fingerprint.buckets)
            params = [v for pair in p.fingerprint.buckets for v in pair]
            candidates = [r[0] for r in self.conn.execute(
                f"SELECT b.article_id, COUNT(*) AS n FROM minhash_bands b JOIN articles a "
                f"ON a.id = b.article_id WHERE ({clause}) AND {in_a} "
                f"GROUP BY b.article_id ORDER BY n DESC, b.article_id LIMIT 20",
                [*params, *owners])]
            for cid in candidates:
                text = self.conn.execute("SELECT text FROM articles WHERE id = ?", [cid]).fetchone()
                if text and jaccard(set(p.fingerprint.shingles), shingles(text[0])) >= JACCARD_THRESHOLD:
                    return cid
            return None

    def _write(self, p: _Prepared) -> AddResult:
        with self._lock, transaction(self.conn):
            return self._write_in_transaction(p)

    def _write_in_transaction(self, p: _Prepared) -> AddResult:
        a = p.article
        now = iso_utc(datetime.now(timezone.utc))
        dup = self._find_duplicate(p)
        if dup is not None:  # another source of it, seen only where its owner is in scope
            self._add_source(dup, a, now)
            self._add_keys(dup, a)
            return AddResult(AddStatus.DUPLICATE, dup, dup)
        if p.mentions is None:  # a duplicate of something earlier in the same batch was undone
            self._analyse([p])
        c = self.conn
        article_id = c.execute(
            "INSERT INTO articles(title, text, publisher, published, url, origin, date_source, "
            "added_at, content_hash, ws) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [a.title or "", a.text, a.publisher, iso_utc(a.published) if a.published else None,
             a.url, a.origin or "", a.date_source or "unknown", now,
             p.fingerprint.hash, a.workspace]).lastrowid
        assert article_id is not None
        fts = dialect(c)
        fts.fts_add(c, "articles_fts", [(article_id, a.title or "", a.text)])
        self._add_source(article_id, a, now)
        self._add_keys(article_id, a)
        c.executemany("INSERT INTO minhash_bands(band, bucket, article_id) VALUES (?, ?, ?)",
                      [(b, k, article_id) for b, k in p.fingerprint.buckets])
        sentence_ids: list[int] = []
        indexed: list[tuple[int, str]] = []
        embeddings = p.embeddings if p.embeddings is not None else [None] * len(p.sentences)
        spans = offsets(a.text, p.sentences)
        for pos, (text, vec, span) in enumerate(zip(p.sentences, embeddings, spans)):
            # the text once: offsets into articles.text (own text only if not found verbatim)
            sid = c.execute("INSERT INTO sentences(article_id, position, text, start, length, "
                            "embedding) VALUES (?, ?, ?, ?, ?, ?)",
                            [article_id, pos, "" if span else text, span[0] if span else None,
                             span[1] if span else None, vectors.encode(vec)]).lastrowid
            assert sid is not None
            indexed.append((sid, text))
            sentence_ids.append(sid)
        fts.fts_add(c, "sentences_fts", indexed)
        self._write_entities(article_id, p.mentions or [], sentence_ids, a.workspace)
        speakers.record_article(c, article_id)
        self._write_events(article_id, p, sentence_ids)
        aboutness.refresh_article(c, article_id)
        return AddResult(AddStatus.STORED, article_id)

    def _add_source(self, article_id: int, a: Article, now: str) -> None:
        # the same file or feed item read again is the same source, even re-titled
        if a.origin:
            same = self.conn.execute(
                "SELECT 1 FROM article_sources WHERE article_id = ? AND origin = ? AND url IS ? "
                "AND ws = ?", [article_id, a.origin, a.url, a.workspace]).fetchone()
        else:
            same = self.conn.execute(
                "SELECT 1 FROM article_sources WHERE article_id = ? AND url IS ? "
                "AND publisher IS ? AND title IS ? AND ws = ?",
                [article_id, a.url, a.publisher, a.title, a.workspace]).fetchone()
        if not same:
            self.conn.execute("INSERT INTO article_sources(article_id, publisher, url, origin, "
                              "title, added_at, ws) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              [article_id, a.publisher, a.url, a.origin, a.title, now,
                               a.workspace])

    def _add_keys(self, article_id: int, a: Article) -> None:
        self.conn.executemany("INSERT INTO article_keys(key, ws, article_id) VALUES (?, ?, ?) "
                              "ON CONFLICT(key, ws) DO NOTHING",
                              [(k, a.workspace, article_id) for k in a.keys if k])

    def _write_entities(self, article_id: int, mentions: Sequence[Mention],
                        sentence_ids: Sequence[int], ws: str) -> None:
        c = self.conn
        touched: set[int] = set()
        cache: dict[tuple[str, str], int] = {}
        for m in mentions:
            if not m.key:  # nothing left to match on (symbols, initials)
                continue
            ck = (m.label, m.name)
            eid = cache.get(ck)
            # a later full name may have absorbed an entity cached earlier in this article
            if eid is None or not c.execute("SELECT 1 FROM entities WHERE id = ?", [eid]).fetchone():
                eid = cache[ck] = (entity_store.person_entity(c, m.name, ws)
                                   if m.label == "PERSON"
                                   else entity_store.other_entity(c, m.name, m.label, ws))
            entity_store.record(c, eid, m.alias, m.label, m.role, ws)
            c.execute("INSERT INTO mentions(entity_id, article_id, sentence_id, surface) "
                      "VALUES (?, ?, ?, ?)", [eid, article_id, sentence_ids[m.sentence], m.surface])
            touched.add(eid)
        for eid in touched:  # renamed from its owner's sightings: only this owner's own
            if c.execute("SELECT 1 FROM entities WHERE id = ? AND ws = ?", [eid, ws]).fetchone():
                entity_store.refresh(c, eid)

    def _write_events(self, article_id: int, p: _Prepared, sentence_ids: Sequence[int]) -> None:
        c = self.conn
        ws = p.article.workspace
        scope = Scope.of(ws)
        touched = set()
        events = p.events or []
        # strong phrases first, so a weak "in Alaska" can join an event this article names
        for ev in sorted(events, key=lambda e: e.kind == "mention"):
            if ev.kind == "mention":
                event_store.remember_place(c, ev, article_id, sentence_ids[ev.sentence or 0])
                if not event_store.known(c, ev, p.article.published, ws):
                    continue
            surnames: tuple[str, ...] = ()
            if ev.kind == "call":
                ids = [entity_store.find_person(c, n, scope) for n in ev.participants]
                names = [c.execute("SELECT name FROM entities WHERE id = ?", [i]).fetchone()
                         for i in ids if i]
                # only people known by a full name: "Brian-Mary call" is no call between leaders
                surnames = tuple(dict.fromkeys(n[0].split()[-1] for n in names
                                               if n and " " in n[0]))
                if len(surnames) < 2:
                    continue
            sid = sentence_ids[ev.sentence] if ev.sentence is not None else None
            touched.add(event_store.record_event(c, ev, surnames, article_id, sid,
                                                 p.article.published, ws))
        for eid in touched:
            event_store.refresh_event(c, eid, ws)

    # --- retention and upkeep --------------------------------------------------
    def prune(self, *, now: datetime | None = None, retention_days: int | None = None,
              batch: int = PRUNE_BATCH, max_articles: int | None = None) -> PruneResult:
        """Apply retention (the `retention_days` setting unless given; 0 does nothing).

        Each batch of articles is one transaction followed by a bounded incremental
        vacuum, so readers and ingest wait at most one batch. See bot/index/retention.py."""
        days = self.settings.retention_days if retention_days is None else retention_days
        if days <= 0:
            return PruneResult()
        if self.read_only:
            raise read_only_error(self.path)
        now = now or datetime.now(timezone.utc)
        cutoff, stamp = iso_utc(now - timedelta(days=days)), iso_utc(now)
        total = PruneResult()
        while max_articles is None or total.articles < max_articles:
            size = batch if max_articles is None else min(batch, max_articles - total.articles)
            with self._lock, transaction(self.conn):
                ids = retention.due(self.conn, cutoff, size)
                dropped = sum(retention.prune_article(self.conn, a, stamp) for a in ids)
                retention.merge_fts(self.conn)
            if not ids:
                break
            total = total + PruneResult(len(ids), dropped, self.reclaim())
        while total.articles and (step := self.reclaim()):  # the rest, a bounded step at a time
            total = total + PruneResult(bytes_reclaimed=step)
        return total

    def reclaim(self, max_pages: int = retention.RECLAIM_PAGES) -> int:
        """Give up to `max_pages` free pages back to the file system (bytes returned)."""
        with self._lock:
            return retention.reclaim(self.conn, max_pages)

    def file_bytes(self) -> int:
        """The database's size (pages in use and free; the WAL not counted)."""
        with self._lock:
            return _file_bytes(self.conn)

    def maintain(self) -> MaintainResult:
        """Compact the file: merge the full-text indexes' segments, and VACUUM once into
        auto_vacuum=INCREMENTAL (a file made before it), else give back every free page.

        VACUUM rewrites the whole file and needs about as much free disk again."""
        if self.read_only:
            raise read_only_error(self.path)
        with self._lock:
            before = _file_bytes(self.conn)
            with transaction(self.conn):
                dialect(self.conn).optimize_fts(self.conn)
            vacuumed = dialect(self.conn).compact(self.conn)
            return MaintainResult(before, _file_bytes(self.conn), vacuumed)

    # --- reading ---------------------------------------------------------------
    # Every read takes `scope` (bot.workspaces.Scope): only what its owners brought. None
    # means this Index's own scope: the base corpus, unless it is a view made by `scoped`.
    def scoped(self, scope: Scope) -> Index:
        """A view of this index whose reads default to `scope` (same file, lock and models):
        what a request's commands get, so none of them can forget whose answer it is."""
        view = copy.copy(self)
        view.scope = scope
        return view

    def _in(self, scope: Scope | None) -> Scope:
        return self.scope if scope is None else scope

    def article(self, id: int, *, scope: Scope | None = None) -> ArticleRow | None:
        rows = self.articles([id], scope=scope)
        return rows[0] if rows else None

    def articles(self, ids: Sequence[int], *, scope: Scope | None = None) -> list[ArticleRow]:
        """Rows for `ids`, in the order given (unknown ids skipped)."""
        with self._lock:
            return queries.articles(self.conn, ids, self._in(scope))

    def sentences(self, article_ids: Sequence[int], *,
                  scope: Scope | None = None) -> list[Sentence]:
        """Sentences with embeddings, ordered by article (as given), then position."""
        with self._lock:
            return queries.sentences(self.conn, article_ids, self._in(scope))

    def search(self, text: str, *, limit: int = 50, scope: Scope | None = None) -> list[int]:
        """Article ids by FTS5 bm25; any input is safe (every token is quoted)."""
        with self._lock:
            return queries.search(self.conn, text, limit=limit, scope=self._in(scope))

    def resolve_topic(self, text: str, *, scope: Scope | None = None) -> Topic:
        """What a user means by a topic (an event, an entity, or the articles with its
        distinctive words), with the articles about it and those only mentioning it."""
        with self._lock:
            return queries.resolve_topic(self.conn, text, self._in(scope))

    def entity(self, name: str, *, scope: Scope | None = None) -> EntityRow | None:
        with self._lock:
            eid = entity_store.lookup(self.conn, name, self._in(scope))
            return queries.entity_row(self.conn, eid, self._in(scope)) if eid else None

    def entity_by_id(self, entity_id: int, *, scope: Scope | None = None) -> EntityRow | None:
        with self._lock:
            return queries.entity_row(self.conn, entity_id, self._in(scope))

    def entities(self, *, scope: Scope | None = None) -> list[EntityRow]:
        """Every entity, most mentioned first."""
        with self._lock:
            return queries.all_entities(self.conn, self._in(scope))

    def events(self, *, scope: Scope | None = None) -> list[EventRow]:
        """Every event, most discussed first."""
        with self._lock:
            return queries.all_events(self.conn, self._in(scope))

    def roles(self, entity_id: int, *, scope: Scope | None = None) -> list[tuple[str, int]]:
        """Role phrases seen next to this person ("special envoy", 3), most frequent first,
        counted within scope."""
        in_ws, owners = self._in(scope).sql("ws")
        with self._lock:
            return [(r[0], r[1]) for r in self.conn.execute(
                f"SELECT role, SUM(count) AS n FROM entity_roles WHERE entity_id = ? AND {in_ws} "
                "GROUP BY role ORDER BY n DESC, length(role) DESC, role", [entity_id, *owners])]

    def entity_sentences(self, entity_id: int, newest_articles: int = -1, *,
                         scope: Scope | None = None) -> list[Sentence]:
        """Sentences mentioning the entity, newest article first, then reading order; only
        from its `newest_articles` newest articles when given (a busy name has thousands)."""
        with self._lock:
            return queries.entity_sentences(self.conn, entity_id, newest_articles,
                                            self._in(scope))

    def mentioning_sentence_ids(self, kind: str, target_id: int,
                                article_ids: Sequence[int]) -> set[int]:
        # no scope: `article_ids` come from an answer already read within one
        """Ids of the sentences of these articles that mention the entity or event (`kind`
        "entity" or "event"), without loading any text."""
        if not article_ids:
            return set()
        with self._lock:
            return queries.mentioning_sentence_ids(self.conn, kind, target_id, article_ids)

    def statement_ids(self, entity_id: int, article_ids: Sequence[int]) -> set[int]:
        # no scope: `article_ids` come from an answer already read within one
        """Sentences of these articles in which the entity speaks (see bot.index.speakers)."""
        with self._lock:
            return speakers.statement_ids(self.conn, entity_id, article_ids)

    def text_sentence_ids(self, topic: str, article_ids: Sequence[int], *,
                          scope: Scope | None = None) -> set[int]:
        """Ids of the sentences of these articles that contain a free-text topic's
        distinctive words (see queries.distinctive_terms)."""
        with self._lock:
            return queries.text_sentence_ids(self.conn, topic, article_ids, self._in(scope))

    def entity_reach(self, article_ids: Sequence[int], *,
                     scope: Scope | None = None) -> list[tuple[int, str, int]]:
        """(article id, entity type, articles naming that entity) per entity named in these."""
        with self._lock:
            return queries.entity_reach(self.conn, article_ids, self._in(scope))

    def articles_naming_entities(self, *, scope: Scope | None = None) -> int:
        """Counted once per state of the file and scope: the count reads every mention, and
        each digest asks for it; any write (here or by another process) counts again."""
        scope = self._in(scope)
        with self._lock:
            state = dialect(self.conn).data_state(self.conn)
            known = self._naming_counts.get(scope)
            if known is None or known[0] != state:
                if len(self._naming_counts) > 1000:  # workspaces come and go
                    self._naming_counts.clear()
                known = self._naming_counts[scope] = (
                    state, queries.articles_naming_entities(self.conn, scope))
            return known[1]

    def most_covered(self, k: int = 3, *, scope: Scope | None = None) -> list[str]:
        """The k most discussed events, then the k most mentioned people."""
        with self._lock:
            return queries.most_covered(self.conn, k, self._in(scope))

    def suggest(self, text: str, k: int = 5, *, scope: Scope | None = None) -> list[str]:
        """Known entity and event names closest to `text`, for "no coverage of X"."""
        with self._lock:
            return queries.suggest(self.conn, text, k, self._in(scope))

    def articles_in_window(self, *, published_after: datetime, published_until: datetime,
                           added_after: datetime | None = None,
                           scope: Scope | None = None) -> list[ArticleRow]:
        """Articles dated in (published_after, published_until], or added after `added_after`."""
        with self._lock:
            return queries.articles_in_window(self.conn, published_after=published_after,
                                              published_until=published_until,
                                              added_after=added_after, scope=self._in(scope))

    def publication_dates(self, ids: Sequence[int], *,
                          scope: Scope | None = None) -> dict[int, datetime | None]:
        """Each article's publication time (None: unknown), without loading any text."""
        with self._lock:
            return queries.publication_dates(self.conn, ids, self._in(scope))

    def article_count(self, *, scope: Scope | None = None) -> int:
        with self._lock:
            return queries.article_count(self.conn, self._in(scope))

    def stats(self, *, scope: Scope | None = None) -> IndexStats:
        with self._lock:
            return queries.stats(self.conn, self._in(scope))

    def is_empty(self, *, scope: Scope | None = None) -> bool:
        in_ws, owners = self._in(scope).sql("ws")
        with self._lock:
            return self.conn.execute(f"SELECT 1 FROM articles WHERE {in_ws} LIMIT 1",
                                     owners).fetchone() is None

    def newest_published(self, until: datetime, *,
                         scope: Scope | None = None) -> datetime | None:
        """The latest publication time at or before `until` (None for an undated index)."""
        with self._lock:
            return queries.newest_published(self.conn, until, self._in(scope))

    def articles_added_since(self, since: datetime | None, *,
                             scope: Scope | None = None) -> list[ArticleRow]:
        """Articles added after `since` (all when None), oldest first."""
        with self._lock:
            return queries.articles_added_since(self.conn, since, self._in(scope))


def _article_events(p: _Prepared) -> list[EventMention]:
    people: dict[int, list[str]] = {}
    for m in p.mentions or []:
        if m.label == "PERSON":
            people.setdefault(m.sentence, []).append(m.name)
    found = find_events(p.article.title, None) if p.article.title else []
    found = [e for e in found if e.kind != "call"]
    published = p.article.published
    for i, sent in enumerate(p.sentences):
        # "a combative Oval Office meeting in February" is not this August's meeting
        strong = [e for e in find_events(sent, i, people.get(i, ()))
                  if not is_earlier_occurrence(sent, e.phrase, published)]
        found.extend(strong)
        if not any(e.place for e in strong):
            found.extend(place_links(sent, i, people.get(i, ())))
    return found


def _file_bytes(conn: Any) -> int:
    """The database's size (SQLite: pages, what a checkpointed file takes)."""
    return dialect(conn).size_bytes(conn)


def _dedupe_within(prepared: Sequence[_Prepared]) -> list[_Prepared]:
    """Skip analysing exact repeats inside one batch (they will be stored as duplicates)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for p in prepared:
        if (p.article.workspace, p.fingerprint.hash) not in seen:
            seen.add((p.article.workspace, p.fingerprint.hash))
            out.append(p)
    return out


def _slices(prepared: Sequence[_Prepared], size: int) -> Iterator[list[tuple[int, int, int]]]:
    """Pieces (article index, first sentence, end) of at most `size` sentences in all,
    in order; a long article is cut across several slices."""
    pieces: list[tuple[int, int, int]] = []
    room = size
    for i, p in enumerate(prepared):
        lo = 0
        while lo < len(p.sentences):
            hi = min(len(p.sentences), lo + room)
            pieces.append((i, lo, hi))
            room -= hi - lo
            lo = hi
            if room == 0:
                yield pieces
                pieces, room = [], size
    if pieces:
        yield pieces


def _tick(progress: Progress, done: int, total: int) -> None:
    if progress is None:
        return
    if hasattr(progress, "update"):
        progress.update(1)
    else:
        progress(done, total)
