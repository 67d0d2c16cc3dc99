"""`timeline <topic>`: dated entries, oldest first, one cited sentence per article.

The date of an entry is the article's publication date; articles with no known
date are listed apart rather than given an invented one.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from bot.charts import PICTURE_PLATFORMS
from bot.charts import attachment as coverage_attachment
from bot.citations import Citations
from bot.commands._common import (answer_or_decline, naming_sentence_ids, no_coverage, resolve,
                                  tidy_topic)
from bot.core import Attachment, Claim, Reply, ReplyKind, Request, Section
from bot.index.rows import ArticleRow, Topic
from bot.registry import registry
from bot.services import Services
from summarizer.facets import says_when
from summarizer.filters import is_junk
from summarizer.lexical import dangles, pronoun_subject, query_overlap
from summarizer.types import Sentence

MAX_ENTRIES = 12
#: Articles read to find those entries (some give none: repeats, nothing on topic).
READ_DATED = 4 * MAX_ENTRIES
READ_UNDATED = 6
#: Entries this similar to an earlier one say nothing new and are skipped.
REPEAT_SIMILARITY = 0.85
#: Lead sentences carry the news; a small bonus breaks near-ties towards them.
LEAD_BONUS = 0.04
#: Naming the topic's own words ("Alaska", not just "summit") counts beside the embedding.
WORDS_WEIGHT = 0.3
#: An entry should read on its own: "But the summit..." leans on a sentence not shown.
DANGLING_PENALTY = 0.1
#: For an event, when it happens (or that no date is set) is what a timeline is for.
WHEN_BONUS = 0.1


@registry.command("timeline", "Dated entries on a topic, oldest first, each cited",
                  arg="topic", arg_description="A topic, person or event, e.g. Alaska summit",
                  arg_required=True, usage="timeline Alaska summit", windowed=True)
async def timeline(req: Request, services: Services) -> Reply:
    topic = await resolve(services, req.text, req.window)
    declined = await asyncio.to_thread(answer_or_decline, services, topic, req.text, req.window)
    if declined is not None:
        return declined
    reply = await asyncio.to_thread(_timeline, services, topic, tidy_topic(req.text))
    if (reply.kind is ReplyKind.ANSWER and services.settings.charts
            and req.platform in PICTURE_PLATFORMS):
        reply = replace(reply, attachments=(await asyncio.to_thread(_chart, services, topic),))
    return reply


def _chart(services: Services, topic: Topic) -> Attachment:
    """How the topic's coverage rose and fell: every article naming it, not only those read."""
    dates = services.index.publication_dates(topic.article_ids)
    return coverage_attachment(topic.name, list(dates.values()))


def _timeline(services: Services, topic: Topic, asked: str) -> Reply:
    index = services.index
    query = topic.name if topic.kind in {"event", "entity"} else asked
    q = index.encoder.encode([query])[0]
    # Articles about the topic give entries; one that only mentions it gives at most the
    # sentence naming it, so BP's share price is no entry in the Libya war's timeline.
    # Passing mentions are read only when too few articles are about the topic.
    passing = set(topic.passing_ids) if len(topic.about_ids) < MAX_ENTRIES else set()
    rows = index.articles(_oldest(index, topic.about_ids) + _oldest(index, list(passing)))
    dated = sorted((r for r in rows if r.published), key=lambda r: r.published or r.added_at)
    undated = [r for r in rows if not r.published]
    all_sentences = index.sentences([r.id for r in rows])
    score = _scorer(all_sentences, query, q, event=topic.kind == "event")
    by_article: dict[int, list[Sentence]] = {}
    for s in all_sentences:  # in reading order within each article
        by_article.setdefault(s.article_id, []).append(s)
    chosen: list[np.ndarray] = []
    entries: list[tuple[ArticleRow, Sentence]] = []
    about = naming_sentence_ids(index, topic, [r.id for r in rows])
    for row in dated + undated:
        sentences = by_article.get(row.id, [])
        naming = [s for s in sentences if s.id in about]
        best = _best_sentence(naming if naming or row.id in passing else sentences, score, chosen)
        if best is None or best.embedding is None:
            continue
        chosen.append(best.embedding)
        entries.append((row, best))
        if len(chosen) >= MAX_ENTRIES:
            break
    cites = Citations(index)
    by_day: dict[str, list[Claim]] = {}
    loose: list[Claim] = []
    worthy = [s for s in all_sentences if _entry_worthy(s)]
    # one matrix product per entry, not one Python-level dot product per sentence
    matrix = np.stack([np.asarray(s.embedding, np.float32) for s in worthy]) if worthy else None
    for row, best in entries:
        # the same report in other articles read: one entry, every source cited
        echoes = []
        if matrix is not None and best.embedding is not None:
            similar = matrix @ np.asarray(best.embedding, np.float32) > REPEAT_SIMILARITY
            echoes = [s for s, near in zip(worthy, similar, strict=True)
                      if near and s.article_id != row.id]
        line = cites.claim(best, also=echoes)
        if row.published:
            by_day.setdefault(f"{row.published:%d %b %Y}", []).append(line)
        else:
            loose.append(line)
    if not chosen:
        return no_coverage(services, asked)
    sections = [Section.lines(lines, heading=day) for day, lines in by_day.items()]
    if loose:
        sections.append(Section.lines(loose, heading="Date unknown"))
    return Reply(title=f"Timeline of {topic.name}", sections=tuple(sections),
                 sources=cites.sources())


def _oldest(index, article_ids: list[int]) -> list[int]:
    """The articles a timeline reads: the oldest dated ones (a story's timeline starts where
    it started; on Timeline17 the oldest days match journalists' dates better than the
    busiest or evenly spread ones, see bench/timeline_dates.py) and a few undated,
    bounded however big the topic."""
    dates = index.publication_dates(article_ids)
    dated = sorted((a for a, d in dates.items() if d), key=lambda a: (dates[a], a))
    undated = [a for a, d in dates.items() if not d]
    return dated[:READ_DATED] + undated[:READ_UNDATED]


def _entry_worthy(s: Sentence) -> bool:
    """A dated entry is a sentence that states something on its own: long enough to, not a
    question, heading or other junk (summarizer/filters.py), and not about a "he" or "it"
    named only in a sentence the reader will not see."""
    return (s.embedding is not None and len(s.text.split()) >= 6
            and not is_junk(s.text) and not pronoun_subject(s.text))


def _scorer(sentences: list[Sentence], query: str, q: np.ndarray,
            *, event: bool) -> Callable[[Sentence], float]:
    """Score of a sentence as a timeline entry; the query's word weights come from all of
    the topic's sentences, so a rare name ("Alaska") counts for more than "summit"."""
    pool = [s for s in sentences if _entry_worthy(s)]
    words = dict(zip((s.id for s in pool), query_overlap(query, [s.text for s in pool]),
                     strict=True))

    def score(s: Sentence) -> float:
        return (float(s.embedding @ q) + WORDS_WEIGHT * float(words.get(s.id, 0.0))
                + (LEAD_BONUS if s.position < 3 else 0.0)
                - (DANGLING_PENALTY if dangles(s.text) else 0.0)
                + (WHEN_BONUS if event and says_when(s.text) else 0.0))

    return score


def _best_sentence(sentences: list[Sentence], score: Callable[[Sentence], float],
                   chosen: list[np.ndarray]) -> Sentence | None:
    best, best_score = None, -math.inf
    for s in sentences:
        if not _entry_worthy(s):
            continue
        if any(float(s.embedding @ c) > REPEAT_SIMILARITY for c in chosen):
            continue
        value = score(s)
        if value > best_score:
            best, best_score = s, value
    return best
