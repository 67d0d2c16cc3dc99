"""Which stored sentences are worth showing a reader at all.

Cleaning at ingest removes most page furniture, but some survives inside
articles: a lone "Sign up for our newsletter", a rhetorical question, a quote
with nobody attached to it, a photo credit. They are real sentences, so the
index keeps them; a summary should not spend its budget on them. General
rules only — no list of one site's exact strings.
"""

from __future__ import annotations

import re
from functools import lru_cache

MIN_WORDS = 5
MAX_WORDS = 80

_BOILERPLATE = re.compile(
    r"""\b(?:
        click\ here | subscribe | sign\ up | newsletter | log\ ?in\b | read\ more | read\ the\ original
      | all\ rights\ reserved | follow\ us\ on | (?:accept|use\ of)\ cookies | cookie\ policy | advertisement | download\ (?:the|our)\ app
      | app\ store | google\ play | terms\ of\ (?:use|service) | privacy\ policy | share\ this
      | (?:photo|image|video)\s*(?:credit|courtesy)? \s*: | getty\ images | file\ photo
      | leave\ a\ (?:comment|reply) | comments?\ (?:below|section) | related\ articles?
      | try\ our | ai\ features | \d+\s*(?:minutes?|hours?|days?)\ ago\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_URL = re.compile(r"https?://|www\.|\.com/|@\w{3,}")
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|tells|added|adds|wrote|writes|according|asked|stated|declared|"
    r"announced|insisted|argued|warned|noted|explained|claimed|replied|posted)\b",
    re.IGNORECASE,
)
_SINGLE_CLOSE = re.compile(r"’(?=[\s,.;:!?—-]|$)")
#: A straight ' that ends a quotation, not the apostrophe inside "Bosworth's".
_STRAIGHT_CLOSE = re.compile(r"(?<=\S)'(?=[\s,.;:!?—-]|$)")
_OPEN_Q = "\"'‘“"
_CLOSE_Q = "\"'’”"
#: What a sentence ends with, once closing quotes and brackets are set aside.
_FULL_STOP = tuple(".!…")
#: Real sentences almost always have a lower-case word of 4+ letters (a verb); title-case headlines do not.
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z'’-]{3,}")
_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


@lru_cache(maxsize=65536)
def junk_reason(text: str, *, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS,
                drop_bare_quotes: bool = True, lenient: bool = False) -> str | None:
    """Why a sentence is not worth showing, or None when it is fine.

    `lenient` keeps headlines, questions and bare quotes: for a topic covered only
    by a headline, showing the headline beats showing nothing.
    """
    t = text.strip()
    n = word_count(t)
    if n < min_words:
        return "too short"
    if n > max_words:
        return "too long"
    if _BOILERPLATE.search(t):
        return "boilerplate"
    if _URL.search(t):
        return "link"
    if lenient:
        return None
    if t.endswith("?") or t.rstrip(_CLOSE_Q).endswith("?"):
        return "question"
    if t.rstrip(_CLOSE_Q + ")] ")[-1:] not in _FULL_STOP:
        # "…had a 'good and productive call'": a subheading quoting someone, not a sentence
        return "heading or fragment (no closing punctuation)"
    if not _LOWER_WORD.search(t):
        return "headline (title case)"
    letters = sum(c.isalpha() for c in t)
    if letters < 0.5 * len(t):
        return "not prose"
    upper = sum(c.isupper() for c in t)
    if upper > 0.6 * letters:
        return "shouting"
    if drop_bare_quotes and _is_bare_quote(t):
        return "quote without speaker"
    if _is_quote_fragment(t):
        return "piece of a longer quote"
    return None


def is_junk(text: str, **kwargs: object) -> bool:
    return junk_reason(text, **kwargs) is not None  # type: ignore[arg-type]


def unbalanced_quote(t: str) -> bool:
    """A quote opened and not closed, or closed and never opened: one sentence of a
    quotation that runs over several."""
    single_open = t[:1] in ("‘", "'")
    opens = t.count("“") + single_open
    closing = _SINGLE_CLOSE if t[:1] == "‘" else _STRAIGHT_CLOSE
    closes = t.count("”") + (single_open and closing.search(t, 1) is not None)
    return t.count('"') % 2 == 1 or opens != closes


def _is_quote_fragment(t: str) -> bool:
    """A piece of a longer quotation with no speaker in sight. Out of context it misleads."""
    return unbalanced_quote(t) and not _ATTRIBUTION.search(t)


def _is_bare_quote(t: str) -> bool:
    """A sentence that is nothing but a quotation, with no one said to have said it."""
    if not t or t[0] not in _OPEN_Q:
        return False
    core = t.rstrip(".!?… ")
    if not core or core[-1] not in _CLOSE_Q:
        return False
    return not _ATTRIBUTION.search(t)
