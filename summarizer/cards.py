"""A story card's sentences: what happened, where and when, what it means.

A digest line of one sentence tells a reader that something happened, rarely
enough to decide whether to read on. A card gives two or three sentences of
one article, each able to stand alone:

1. what happened: the article's best sentence by the single-article ranking
   (lead prior plus PacSum centrality, `summarizer.single.ranked_sentences`);
2. where and when: unless the first already says so, the best-ranked sentence
   that names a time (`summarizer.facets.says_when`) or a place;
3. what it means or what comes next: the best-ranked sentence with a
   consequence or outlook cue ("will", "is expected to", "raises fears").

A slot with no fitting sentence is filled by the next best in the ranking, so a
card has three sentences when the article has three readable ones. A card never
shows a fragment: no junk (subheadings, bare or broken quotes, boilerplate), no
sentence opening on a word that points back at one the reader cannot see
("He...", "But..."), no short sentence that names nothing of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum

import numpy as np

from summarizer.facets import says_when
from summarizer.filters import junk_reason, word_count
from summarizer.lexical import dangles, leans_on_context, normalised
from summarizer.single import ranked_sentences
from summarizer.types import Sentence

#: Sentences on a card at most; a card with fewer has too few readable sentences.
CARD_SENTENCES = 3
#: A sentence this short that names no one, nowhere and no time continues another.
SHORT_WORDS = 12
#: Only this many of the best-ranked sentences are considered for the facet slots:
#: a "when" sentence from the end of a long article is usually background.
FACET_REACH = 8

#: A lower-case preposition of place before a capitalised name ("in Valencia", "off the
#: Chilean coast"); case-sensitive, so a sentence's first word never counts.
_PLACE = re.compile(r"\b(?:in|at|near|outside|inside|across|throughout|off)\s+(?:the\s+)?[A-Z][a-z]")
_MEANING = re.compile(
    r"""\b(?:
        will | would | could | (?-i:may) | might | expects? | expected | plans?\s+to | set\s+to
      | likely | unlikely | aims?\s+to | next | future | means | meaning | signals? | marks?
      | raises?\s+(?:fears?|concerns?|questions?|hopes?|the\s+prospect) | threatens? | risks?
      | implications? | consequences? | impact | because | so\s+that | paving\s+the\s+way
      | first\s+time | biggest | worst | largest | since\s+\d{4}
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)


class Facet(StrEnum):
    """The slot a card sentence fills."""

    WHAT = "what happened"
    WHEN_WHERE = "where and when"
    MEANING = "what it means"
    #: A slot no sentence fitted, filled by the next best one.
    DETAIL = "more on what happened"


def says_where(text: str) -> bool:
    """True if the sentence places the news somewhere ("in Valencia", "off the Chilean coast")."""
    return _PLACE.search(text) is not None


def says_when_or_where(text: str) -> bool:
    return says_when(text) or says_where(text)


def says_what_it_means(text: str) -> bool:
    """True if the sentence carries a consequence, an outlook or a measure of scale."""
    return _MEANING.search(text) is not None


def readable(text: str) -> bool:
    """A whole sentence that reads on the card: not junk (subheading, quote piece,
    furniture), no opener pointing back at an unseen sentence ("He...", "But..."), and
    no bracket closed that was never opened ("N) chairman apologized...": the tail of
    a split "(BP.N)")."""
    return (junk_reason(text) is None and not dangles(text)
            and text.count("(") == text.count(")") and text.count("[") == text.count("]"))


def opens_a_card(text: str) -> bool:
    """The first sentence must stand alone: not a short line that names nothing of its
    own ("No date was set.", fine after the sentence that says what was planned)."""
    return readable(text) and not (word_count(text) <= SHORT_WORDS and leans_on_context(text))


def _embeddings(sentences: Sequence[Sentence]) -> np.ndarray:
    """Stored vectors; a sentence without one gets zeros (it then counts by position only)."""
    dim = next((len(s.embedding) for s in sentences if s.embedding is not None), 1)
    out = np.zeros((len(sentences), dim), dtype=np.float32)
    for i, s in enumerate(sentences):
        if s.embedding is not None:
            out[i] = s.embedding
    return out


def card_sentences(sentences: Sequence[Sentence], *,
                   max_sentences: int = CARD_SENTENCES) -> list[tuple[Sentence, Facet]]:
    """Up to `max_sentences` readable sentences of one article, each with the facet it
    fills, in the article's reading order. Empty when no sentence reads on its own."""
    ordered = sorted(sentences, key=lambda s: (s.position, s.id))
    if not ordered or max_sentences <= 0:
        return []
    texts = [s.text for s in ordered]
    ranking = [i for i in ranked_sentences(texts, _embeddings(ordered)) if readable(texts[i])]
    lead = next((i for i in ranking if opens_a_card(texts[i])), None)
    if lead is None:
        return []
    # A sentence that leans on its context may follow the opener, never come before it.
    ranking = [i for i in ranking if i > lead or opens_a_card(texts[i])]
    picked: dict[int, Facet] = {lead: Facet.WHAT}
    first = texts[lead]
    slots = [(Facet.MEANING, says_what_it_means)]
    if not says_when_or_where(first):
        slots.insert(0, (Facet.WHEN_WHERE, says_when_or_where))
    for facet, fits in slots:
        if len(picked) >= max_sentences:
            break
        hit = next((i for i in ranking[:FACET_REACH] if i not in picked and fits(texts[i])), None)
        if hit is not None:
            picked[hit] = facet
    for i in ranking:
        if len(picked) >= max_sentences:
            break
        if i not in picked:
            picked[i] = Facet.DETAIL
    return [(ordered[i], picked[i]) for i in sorted(picked)]


#: Cosine above which a sentence from a second article repeats one already on the card.
REPEAT_COSINE = 0.85


def story_card(articles: Iterable[Sequence[Sentence]], *, max_sentences: int = CARD_SENTENCES,
               min_sentences: int = 2) -> list[Sentence]:
    """A card for a story several articles told: the card of the first (the story's
    representative), topped up from the next ones while it has fewer than
    `min_sentences`, leaving out what it already says. `articles` may be a generator:
    the articles after the first are read only when the card needs them."""
    out: list[Sentence] = []
    for sentences in articles:
        if len(out) >= min_sentences:
            break
        for s, _ in card_sentences(sentences, max_sentences=max_sentences - len(out)):
            if not any(_same(s, t) for t in out):
                out.append(s)
    return out


def _same(a: Sentence, b: Sentence) -> bool:
    if normalised(a.text) == normalised(b.text):
        return True
    if a.embedding is None or b.embedding is None:
        return False
    return float(np.dot(a.embedding, b.embedding)) > REPEAT_COSINE
