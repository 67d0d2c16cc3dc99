"""Word-level signals that embeddings miss: query words present, dangling openers.

Shared by the summarizer and the commands that pick single sentences (timeline),
so "on topic" and "reads on its own" mean the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

#: The one list of words that carry no topic: function words and the words of asking
#: ("latest", "news", "timeline"). Query parsing, search and word overlap all use it.
STOPWORDS = frozenset("""a an the of on in at to for from by with about and or but is are was were be been
what whats what's who whom whose how why when where which latest news new update updates tell me
on the any there this that these those it its s has have did do does happening going
timeline story stories please""".split())
_TOKEN = re.compile(r"[a-z0-9]+")
#: Openers that point back at an earlier sentence; out of context they dangle.
_DANGLING = re.compile(r"""[\"“‘']?(?:But|And|Or|So|Yet|Also|However|Still|Meanwhile|Then|Instead|That|This|
    These|Those|It|They|He|She|His|Her|Their|Its|Such|There\s+(?:are|is|was|were)\s+also)\b""", re.VERBOSE)


#: A sentence whose subject is a pronoun: who "he" is was said in the sentence before.
_PRONOUN_SUBJECT = re.compile(r"""[\"“‘']?(?:He|She|They|It|His|Her|Their|Its|Him|Them)\b(?!['’]s\s+(?:unclear|not))""")


def pronoun_subject(text: str) -> bool:
    """True if the sentence opens on a pronoun ("He wants any deal..."): shown only right
    after the sentence that names who that is."""
    return _PRONOUN_SUBJECT.match(text) is not None


def dangles(text: str) -> bool:
    """True if the sentence opens by leaning on one the reader will not see ("But...", "That...")."""
    return _DANGLING.match(text) is not None


_NAME = re.compile(r"(?<=\S\s)[A-Z][a-z]|\b[A-Z]{2,}\b|\d")


def leans_on_context(text: str) -> bool:
    """True if the sentence names no one, nowhere and no time of its own (no capitalised
    word after the first, no acronym, no number): "No firm date was set." can only mean
    something next to the sentence before it; "Markets rallied on Friday." stands alone."""
    return _NAME.search(text) is None


def normalised(text: str) -> str:
    """Lower-case words only: two copies of a wire sentence compare equal despite punctuation."""
    return " ".join(_TOKEN.findall(text.lower()))


def _stem(tok: str) -> str:
    return tok[:-1] if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss") else tok


def content_words(text: str) -> list[str]:
    """The words of a topic that carry it, singular: "the Russian drones" -> russian, drone."""
    return sorted({_stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS})


def query_overlap(query: str, texts: Sequence[str]) -> np.ndarray:
    """IDF-weighted share of the query's content words present in each text.

    IDF is computed over the candidate sentences themselves, so in a pile of
    summit stories "Budapest" counts for more than "summit".
    """
    terms = content_words(query)
    if not terms or not texts:
        return np.zeros(len(texts))
    # a text has a term when one of its words stems to it: the term itself or, as _stem
    # drops one "s", the term + "s" (terms are stems, so _stem leaves them as they are)
    forms = [(t, t + "s" if _stem(t + "s") == t else None) for t in terms]
    hits = np.array([[term in toks or (plural is not None and plural in toks)
                      for term, plural in forms]
                     for toks in (set(_TOKEN.findall(x.lower())) for x in texts)],
                    dtype=np.float64).reshape(len(texts), len(terms))
    n = len(texts)
    idf = np.log(1.0 + n / (1.0 + hits.sum(axis=0)))
    return hits @ idf / idf.sum()
