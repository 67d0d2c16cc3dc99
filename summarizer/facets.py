"""Facets a briefing on an event should cover, found by surface cues.

A reader asking for the latest on a summit wants to know *when* it happens (or
that no date is set) as much as what was said about it. Relevance to the query
alone under-ranks such sentences: "a meeting in Hungary would follow lower-level
talks next week" is less similar to "Budapest summit" than a sentence that merely
names Budapest. The cues below are the timing expressions of English news copy;
the command adds a small bonus to on-topic sentences that carry one, so timing
competes fairly without ever pulling in an off-topic sentence.
"""

from __future__ import annotations

import re

_NUMBER = r"(?:a|an|one|two|three|four|five|six|few|several|couple\s+of|\d+)"
_UNIT = r"(?:days?|weeks?|weekends?|months?|hours?)"
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_MONTH = "(?:" + "|".join(MONTHS) + ")"

TIMING = re.compile(
    rf"""\b(?:
        (?:no|a|the|firm|set|new|exact|specific)\s+(?:date|time(?:line|table)?)s?   # "no firm date", "a date"
      | date[sd]?\b | scheduled | rescheduled | postponed | delayed | deadline | timing
      | (?:next|this|coming|following)\s+(?:week|month|weekend|year)
      | (?:within|in)\s+(?:the\s+)?(?:next\s+|coming\s+)?{_NUMBER}\s+{_UNIT}
      | (?:later\s+)?(?:tomorrow|tonight)
      | (?:on|by|from|until)\s+{_WEEKDAY}
      | {_MONTH}\s+\d{{1,2}}\b | \d{{1,2}}\s+{_MONTH}
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def says_when(text: str) -> bool:
    """True if the sentence states or discusses a time for something (date, "next week"...)."""
    return TIMING.search(text) is not None


#: Words that say a sentence does not know: "it's unclear if investigators think...".
HEDGE = re.compile(
    r"""\b(?:
        it(?:'s|’s|\s+is|\s+was|\s+remains)\s+(?:still\s+|not\s+|also\s+)?(?:unclear|not\s+clear|uncertain|unknown|too\s+early|possible)
      | (?:unclear|not\s+clear|uncertain)\s+(?:if|whether|how|why|when|what|who)
      | remains?\s+to\s+be\s+seen | (?:neither|nor)\s+is\s+it\s+(?:\w+\s+)?clear
      | (?:may|might|could)\s+(?:have\s+)?(?:possibly\s+)?(?:be|been)\b | perhaps | speculat\w*
      | it\s+is\s+(?:not\s+)?known\s+whether
    )""",
    re.IGNORECASE | re.VERBOSE,
)
#: A name or a place: a capitalised word that does not open the sentence, or an acronym.
_NAMED = re.compile(r"(?<=[\s(\"“‘'-])(?:[A-Z][a-z]+|[A-Z]{2,})(?:[\s-](?:[A-Z][a-z]+|[A-Z]{2,}))*")
#: A quantity: digits ("70 miles", "1,500", "10") or a number word before a unit-like noun.
_QUANTITY = re.compile(r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|"
                     r"thousands?|millions?|billions?)\b", re.IGNORECASE)


def fact_density(text: str) -> float:
    """How much of what/where/when/who/how many a sentence states, in [0, 1]: distinct
    names and places (up to three), a number, a time. "A drone exploded in a cornfield in
    Osiny, 70 miles from the border" states more than "That could mean it was a decoy"."""
    names = {m.group(0) for m in _NAMED.finditer(text)}
    cues = min(len(names), 3) + 2 * bool(_QUANTITY.search(text)) + bool(says_when(text))
    return min(cues / 4.0, 1.0)


def hedges(text: str) -> bool:
    """True if the sentence mainly says what is not known ("it's unclear if...")."""
    return HEDGE.search(text) is not None


def shared_figures(a: str, b: str) -> set[str]:
    """Figures two sentences both state ("1,500–1,600"), years aside: the same fact told
    twice when the sentences are also alike."""
    def figures(t: str) -> set[str]:
        return {f for f in re.findall(r"\d[\d,.]*\d|\d", t) if not re.fullmatch(r"(?:19|20)\d\d", f)
                and len(f) > 1}
    return figures(a) & figures(b)
