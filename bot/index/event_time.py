"""Is an event phrase about an earlier occurrence than the article's own news?

"Washington meeting" in August is the 18 August summit; "a combative Oval Office
meeting in February" in the same article is a different one. Events are keyed by
kind and place, so without this check every meeting in Washington would become one
event and a timeline would mix them. Only a time written right beside the event
phrase counts ("the meeting in February", "last year's summit", "the 2019 talks"),
and only a time *before* the article's month: "a summit in November" in an October
article is the one being planned, and stays linked.
"""

from __future__ import annotations

import re
from datetime import datetime

from summarizer.facets import MONTHS

_MONTH = "(?P<month>" + "|".join(MONTHS) + ")"
_YEAR = r"(?:19|20)\d\d"
#: How far around the event phrase a time still belongs to it (characters), within its clause.
WINDOW = 30
_CLAUSE = re.compile(r"[;:—–()]|,\s")

_TIME = re.compile(
    rf"\b(?:{_MONTH}(?:\s+\d{{1,2}})?(?:,?\s+(?P<year>{_YEAR}))?|(?P<bare_year>{_YEAR})"
    rf"|(?P<last_year>[Ll]ast\s+year(?:'s|’s)?|(?:a|two|three|several)\s+years?\s+ago))\b")
# Month names are matched capitalised only: "the meeting may happen" names no month.


def is_earlier_occurrence(sentence: str, phrase: str, published: datetime | None) -> bool:
    """True when the sentence dates this event phrase before the article's month."""
    if published is None or not phrase:
        return False
    at = sentence.find(phrase)
    if at < 0:
        return False
    before = _CLAUSE.split(sentence[max(0, at - WINDOW):at])[-1]
    after = _CLAUSE.split(sentence[at + len(phrase):at + len(phrase) + WINDOW])[0]
    window = before + phrase + after
    for m in _TIME.finditer(window):
        if m.group("last_year"):
            return True
        written = m.group("year") or m.group("bare_year")
        year = int(written) if written else published.year
        month = MONTHS.index(m.group("month")) + 1 if m.group("month") else None
        if year < published.year or (year == published.year and month and month < published.month):
            return True
    return False
