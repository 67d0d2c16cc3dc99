"""What a channel has not been told yet.

A story the channel already got comes back only with new information: sentences
from its new articles that are not close (MiniLM cosine) to any sentence of the
articles it was told about. Such an item is marked "Update:" and shows just
those sentences. Every sentence shown is a stored source sentence, verbatim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.digests.stories import Story

#: A sentence this close to one already told repeats it (paraphrase, re-report).
SAME_SENTENCE = 0.8
#: Items in one digest; followed topics count too.
MAX_ITEMS = 8
#: A first sentence longer than this is shown alone, so each item stays one or two lines.
LONG_SENTENCE_WORDS = 40


@dataclass(frozen=True, slots=True)
class Item:
    story: Story
    headline: str
    sentences: tuple  # summarizer.types.Sentence, verbatim, in reading order
    update: bool = False
    followed: str | None = None


def embeddings(sentences: Sequence) -> np.ndarray:
    vecs = [s.embedding for s in sentences if s.embedding is not None]
    return np.vstack(vecs).astype(np.float32) if vecs else np.zeros((0, 384), dtype=np.float32)


def novel(candidates: Sequence, known: np.ndarray, threshold: float = SAME_SENTENCE) -> list:
    """Candidates not close to anything known, nor to an earlier candidate."""
    out, seen = [], [known] if len(known) else []
    for s in candidates:
        if s.embedding is None:
            continue
        v = s.embedding.astype(np.float32)
        if any(len(m) and float((m @ v).max()) >= threshold for m in seen):
            continue
        out.append(s)
        seen.append(v[None, :])
    return out


def _trim(sentences: Sequence) -> tuple:
    chosen = tuple(sentences[:2])
    if chosen and len(chosen[0].text.split()) > LONG_SENTENCE_WORDS:
        chosen = chosen[:1]
    return chosen


def _verbatim(chosen: Sequence, pool: Sequence) -> list:
    """Keep only sentences that are stored sentences of the pool (never generated text)."""
    ids = {s.id for s in pool}
    return [s for s in chosen if s.id in ids]


def _pick(summarizer, pool: Sequence, *, single_article: bool) -> list:
    if not pool:
        return []
    if single_article:
        picked = _verbatim(summarizer.summarize_article(pool, max_sentences=2).sentences, pool)
        if picked:
            return picked
    return _verbatim(summarizer.summarize(pool, query=None, budget_words=60,
                                          prefer_recent=True).sentences, pool)


def plan_items(stories: Sequence[Story], *, new_ids: set[int], told_ids: set[int],
               sentences_by_article: dict[int, list], known: np.ndarray, summarizer,
               max_items: int = MAX_ITEMS) -> list[Item]:
    """The digest's items, in the stories' order: new stories and updates to told ones."""
    items: list[Item] = []
    for story in stories:
        if len(items) >= max_items:
            break
        fresh = [a for a in story.articles if a.id in new_ids]
        if not fresh:
            continue
        update = any(a.id in told_ids for a in story.articles)
        if update:
            pool = novel([s for a in fresh for s in sentences_by_article.get(a.id, [])], known)
            chosen = _pick(summarizer, pool, single_article=False)
        else:
            rep = story.representative(fresh)
            own = sentences_by_article.get(rep.id, [])
            chosen = novel(_pick(summarizer, own, single_article=True), known)
            if not chosen:  # the lead repeats what was told; anything new elsewhere?
                pool = novel([s for a in fresh for s in sentences_by_article.get(a.id, [])], known)
                chosen = _pick(summarizer, pool, single_article=False)
        chosen = _trim(chosen)  # summarizers return reading order
        if not chosen:
            continue
        by_id = {a.id: a for a in story.articles}
        headline = by_id[chosen[0].article_id].title if update else story.representative(fresh).title
        items.append(Item(story=story, headline=headline or "Untitled", sentences=tuple(chosen),
                          update=update, followed=story.followed))
    return items
