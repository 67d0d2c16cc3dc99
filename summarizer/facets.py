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
