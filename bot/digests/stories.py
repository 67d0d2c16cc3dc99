"""Grouping articles into stories and ranking them.

A story is one event as several publishers told it: articles join a story when
their title-and-lead vectors (MiniLM) are close to the story's centroid, or a
little less close but about the same indexed event ("Budapest summit"). Greedy
centroid clustering in time order is enough for a day's news (tens to a few
hundred articles) and, unlike single-link, does not chain a week of loosely
related pieces into one blob.

Importance = publishers and articles carrying it, plus how prominent its
people/places/orgs are across the index; recency halves the score every day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from bot.citations import publishers

#: Cosine to a story centroid for an article to join it.
JOIN_SIMILARITY = 0.62
#: Lower bar when the article and the story share an indexed event.
JOIN_SIMILARITY_SAME_EVENT = 0.45
#: Score halves for every this many hours of age of the story's newest article.
HALF_LIFE_HOURS = 24.0
#: Sentences of an article's lead that, with its title, make its vector.
LEAD_SENTENCES = 3


def article_time(row) -> datetime:
    """When an article happened, as far as we know: its date, else when we got it."""
    return row.published or row.added_at


@dataclass
class Story:
    """Articles about one event, newest first, with the vector they cluster around."""

    articles: list = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    events: set[int] = field(default_factory=set)
    score: float = 0.0
    #: The followed topic this story matches, shown first.
    followed: str | None = None

    @property
    def article_ids(self) -> list[int]:
        return [a.id for a in self.articles]

    @property
    def centroid(self) -> np.ndarray:
        v = np.mean(self.vectors, axis=0)
        return v / (np.linalg.norm(v) or 1.0)

    @property
    def newest(self) -> datetime:
        return max(article_time(a) for a in self.articles)

    @property
    def publishers(self) -> list[str]:
        names: list[str] = []
        for row in self.articles:
            for name in publishers(row):
                if name not in names:
                    names.append(name)
        return names

    def representative(self, among: Sequence | None = None):
        """The article closest to the centroid (most sources, then newest, on ties)."""
        rows = list(among) if among else self.articles
        c = self.centroid
        by_id = {a.id: v for a, v in zip(self.articles, self.vectors)}
        return max(rows, key=lambda a: (round(float(by_id[a.id] @ c), 2),
                                        len(publishers(a)), article_time(a)))


def article_vectors(index, rows: Sequence, sentences_by_article: dict[int, list]) -> np.ndarray:
    """Title and lead sentences, averaged: what an article is about, in one unit vector."""
    if not rows:
        return np.zeros((0, 384), dtype=np.float32)
    titles = index.encoder.encode_recent([r.title or "" for r in rows])  # digests repeat them
    out = np.zeros_like(titles)
    for i, row in enumerate(rows):
        lead = [s.embedding for s in sentences_by_article.get(row.id, [])[:LEAD_SENTENCES]
                if s.embedding is not None]
        v = titles[i] + (np.mean(lead, axis=0) if lead else titles[i])
        out[i] = v / (np.linalg.norm(v) or 1.0)
    return out


def group_stories(index, rows: Sequence, sentences_by_article: dict[int, list]) -> list[Story]:
    """Cluster articles into stories, oldest first so a story grows as the news did."""
    rows = sorted(rows, key=lambda r: (article_time(r), r.id))
    vectors = article_vectors(index, rows, sentences_by_article)
    events_of: dict[int, set[int]] = defaultdict(set)
    wanted = {r.id for r in rows}
    for ev in index.events():
        for aid in ev.article_ids:
            if aid in wanted:
                events_of[aid].add(ev.id)
    stories: list[Story] = []
    for row, vec in zip(rows, vectors):
        best, best_sim = None, -1.0
        for story in stories:
            sim = float(vec @ story.centroid)
            bar = JOIN_SIMILARITY_SAME_EVENT if events_of[row.id] & story.events else JOIN_SIMILARITY
            if sim >= bar and sim > best_sim:
                best, best_sim = story, sim
        if best is None:
            best = Story()
            stories.append(best)
        best.articles.append(row)
        best.vectors.append(vec)
        best.events |= events_of[row.id]
    for story in stories:
        order = sorted(range(len(story.articles)),
                       key=lambda i: article_time(story.articles[i]), reverse=True)
        story.articles = [story.articles[i] for i in order]
        story.vectors = [story.vectors[i] for i in order]
    return stories


def entity_weights(index, article_ids: set[int]) -> dict[int, float]:
    """Per article: how prominent its most prominent entities are across the index (0..1)."""
    per_article: dict[int, list[float]] = defaultdict(list)
    reach = index.entity_reach(sorted(article_ids))  # these articles' entities only
    if not reach:
        return {}
    total = max(1, index.articles_naming_entities())
    for aid, etype, n in reach:
        if etype in {"PERSON", "ORG", "GPE", "NORP", "EVENT", "LOC"}:
            per_article[aid].append(math.log1p(n) / math.log1p(total))
    return {aid: float(np.mean(sorted(ws, reverse=True)[:3])) for aid, ws in per_article.items()}


def rank_stories(stories: list[Story], now: datetime, weights: dict[int, float]) -> list[Story]:
    """Most important and newest first."""
    for story in stories:
        importance = (1.0 + math.log1p(len(story.publishers))
                      + 0.5 * math.log1p(len(story.articles) - 1)
                      + max((weights.get(a, 0.0) for a in story.article_ids), default=0.0))
        age_hours = max(0.0, (now - story.newest).total_seconds() / 3600)
        story.score = importance * 0.5 ** (age_hours / HALF_LIFE_HOURS)
    return sorted(stories, key=lambda s: (s.followed is None, -s.score, -s.newest.timestamp()))
