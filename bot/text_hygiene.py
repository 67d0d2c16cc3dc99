"""Text hygiene at the trust boundary: every question and every ingested text passes here first.

Whatever arrives (a Slack message, a CLI argument decoded with surrogateescape, a feed
item, a file in an odd encoding) leaves as valid, NFC-normalised Unicode with no control
characters other than newline and tab, and no bidirectional overrides that could make
a citation or a link read differently from what it is. Nothing downstream needs to
guard against those again.
"""

from __future__ import annotations

import re
import unicodedata

#: Lone surrogates cannot be encoded as UTF-8; they become U+FFFD.
_SURROGATES = re.compile(r"[\ud800-\udfff]")
#: C0/C1 controls except tab and newline (a carriage return becomes a newline first).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Bidi embeddings, overrides and isolates (LRE..RLO, LRI..PDI) and the bare marks.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
#: Zero-width characters and the BOM: invisible, used to split words past filters.
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060-\u2064\ufeff]")
#: Line and paragraph separators (and NEL) end a line like "\n" does; str.splitlines agrees.
_LINE_BREAKS = re.compile(r"\r\n?|[\x85\u2028\u2029]")


def clean_text(text: str | None) -> str:
    """Return `text` as valid NFC Unicode without controls, bidi overrides or invisibles.

    Line structure is kept (newline and tab survive; CR, CRLF, NEL and the Unicode line and
    paragraph separators become newline, so "\n" is the only line break anyone sees), so
    cleaning and splitting still see paragraphs. Linear in the length of the text.
    """
    if not text:
        return ""
    text = _SURROGATES.sub("\ufffd", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROLS.sub("", text)
    text = _BIDI.sub("", text)
    text = _INVISIBLE.sub("", text)
    return unicodedata.normalize("NFC", text)


def clean_line(text: str | None) -> str:
    """`clean_text` for one-line input (questions, titles): white space squeezed to single spaces."""
    return " ".join(clean_text(text).split())


def is_clean(text: str) -> bool:
    """True when `clean_text` would leave `text` as it is (what every ingested text must be)."""
    return clean_text(text) == text
