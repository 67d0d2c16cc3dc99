"""What a channel has not been told yet.

A story the channel already got comes back only with new information: sentences
from its new articles that are not close (MiniLM cosine) to any sentence of the
articles it was told about. Such an item is marked "Update:" and shows just
those sentences. Every sentence shown is a stored source sentence, verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.digests.stories import Story
from summarizer.cards import story_card

#: Cosine above which a sentence repeats a told one (a re-report, a light rewording)...
SAME_SENTENCE = 0.85
#: ...or above which it repeats it if it also adds no new words of substance,
NEAR_SENTENCE = 0.6
#: i.e. at least this share of its content words were in the told sentence.
COVERED_WORDS = 0.7
#: Only a near-verbatim copy repeats a sentence whose figures differ.
SAME_SENTENCE_EXACT = 0.98
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


_WORD = re.compile(r"[a-z]+|\d[\d,.]*")
_STOP = frozenset("""a an and are as at be been by for from had has have he her his in is it its
of on or said says say that the their they this to was were will with would after before over
than then there these those which while who whom into about also but not no yes more most
monday tuesday wednesday thursday friday saturday sunday week today yesterday""".split())


def _content(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2 or w[0].isdigit()}


def _numbers(words: set[str]) -> set[str]:
    return {w.rstrip(".,") for w in words if w[0].isdigit()}


def repeats(candidate, known: Sequence, known_emb: np.ndarray) -> bool:
    """Does `candidate` say what one of the `known` sentences said?

    Embeddings alone cannot tell "Rubio and Lavrov called off a meeting" (told,
    reworded: cosine 0.73) from "40 people have died in the floods" after "60,000
    were forced from their homes" (new: cosine 0.73). So a close sentence repeats
    a known one only if it also brings no new words of substance and no new numbers.
    """
    if not len(known_emb) or candidate.embedding is None:
        return False
    sims = known_emb @ candidate.embedding.astype(np.float32)
    words = _content(candidate.text)
    for i in np.argsort(-sims)[:3]:
        sim = float(sims[i])
        if sim < NEAR_SENTENCE:
            break
        theirs = _content(known[i].text)
        if _numbers(words) - _numbers(theirs) and sim < SAME_SENTENCE_EXACT:
            continue  # a new figure is news ("death toll rises to 52")
        covered = len(words & theirs) / max(1, len(words))
        if sim >= SAME_SENTENCE or covered >= COVERED_WORDS:
            return True
    return False


def novel(candidates: Sequence, known: Sequence) -> list:
    """Candidates that repeat neither a known sentence nor an earlier candidate."""
    known = [k for k in known if k.embedding is not None]
    known_emb = embeddings(known)
    out: list = []
    for s in candidates:
        if s.embedding is None or repeats(s, known, known_emb) or repeats(s, out, embeddings(out)):
            continue
        out.append(s)
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


def _pick(summarizer, pool: Sequence) -> list:
    """The newest non-redundant sentences of several articles (what an update adds)."""
    if not pool:
        return []
    return _verbatim(summarizer.summarize(pool, query=None, budget_words=60,
                                          prefer_recent=True).sentences, pool)


def plan_items(stories: Sequence[Story], *, new_ids: set[int], told_ids: set[int],
               sentences_by_article: dict[int, list], known: Sequence, summarizer,
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
        chosen = []
        if not update:  # a new story gets a card: 2-3 sentences of its representative
            rep = story.representative(fresh)
            others = [a for a in fresh if a.id != rep.id]
            chosen = story_card(novel(sentences_by_article.get(a.id, []), known)
                                for a in [rep, *others])
        if not chosen:  # an update, or a lead that repeats what was told: only what is new
            pool = novel([s for a in fresh for s in sentences_by_article.get(a.id, [])], known)
            chosen = list(_trim(_pick(summarizer, pool)))
        if not chosen:
            continue
        by_id = {a.id: a for a in story.articles}
        headline = by_id[chosen[0].article_id].title if update else story.representative(fresh).title
        items.append(Item(story=story, headline=headline or "Untitled", sentences=tuple(chosen),
                          update=update, followed=story.followed))
    return items
