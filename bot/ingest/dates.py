"""Publication dates: parsed from metadata, found in the text, or left unknown.

A wrong date is worse than no date (a briefing would call an old story "latest"),
so text is searched only for explicit markers ("Published August 18, 2025"), a
dateline at the start of a paragraph, or a dated photo caption. Everything is
returned as timezone-aware UTC; a date without a time means midnight UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|"
          r"Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
#: "August 18, 2025", "Aug. 18 2025", "18 August 2025"
_TEXT_DATE = re.compile(
    rf"(?:{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)"
    rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH.replace('month', 'month2')}\s+(?P<year2>(?:19|20)\d\d))",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?:[T ][0-9:.]{1,15}(?:Z|[+-]\d\d:?\d\d)?)?\b")
#: Words that say "this is when the page was published", e.g. "Published: ...", "Updated on ...".
_MARKER = re.compile(r"\b(?:(?:first |originally |last )?(?:published|posted|updated)\b(?:\s{1,3}(?:on|at))?"
                     r"|date\s{0,3}:)"
                     r"\s{0,3}:?\s{0,3}", re.IGNORECASE)
#: What may stand between a marker and its date: a time of day, a zone, a weekday.
_TIME_PREFIX = re.compile(r"(?:\d{1,2}[:.]\d\d\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,5})?\s*[,|·-]?\s*)?"
                          r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?", re.IGNORECASE)
#: What inside a closing bracket marks a photo credit: "{Tom Brenner/The Washington Post}".
_CREDIT_WORDS = ("Getty Images", "AP Photo", "Reuters", "AFP", "Photo:", "Credit:", "Shutterstock", "EPA")
_OPENERS, _CLOSERS = "{([", "})]"


def ends_with_credit(line: str) -> bool:
    """True for a line ending in a bracketed photo credit: "... (AP Photo/Evan Vucci)".

    Plain string scanning rather than a regex: a line of "(" and thousands of "/" made
    the old pattern cubic. Only the last bracket group counts, and it holds no brackets.
    """
    text = line.rstrip()
    if not text or text[-1] not in _CLOSERS:
        return False
    inner_end = len(text) - 1
    start = max(text.rfind(b, 0, inner_end) for b in _OPENERS + _CLOSERS)
    if start < 0 or text[start] not in _OPENERS:
        return False
    inner = text[start + 1:inner_end]
    return "/" in inner[:-1] or any(word in inner for word in _CREDIT_WORDS)


_REL_UNITS = {
    "second": timedelta(seconds=1), "sec": timedelta(seconds=1), "minute": timedelta(minutes=1),
    "min": timedelta(minutes=1), "hour": timedelta(hours=1), "hr": timedelta(hours=1),
    "day": timedelta(days=1), "week": timedelta(weeks=1),
    "month": timedelta(days=30), "year": timedelta(days=365),
}
_SHORT_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
#: "13 minutes ago", "time3 minutes ago", "an hour ago" — the whole phrase, at the end of a line.
#: The count has at most 4 digits and starts a digit run: a 12,000-digit run used to cost
#: quadratic backtracking (and int() of it raises), while no page says "12345 hours ago".
RELATIVE = re.compile(
    r"(?:\btime\s{0,3}|(?<=[a-z])time)?(?P<n>(?<!\d)\d{1,4}|\ban?|\bone)\s{0,3}"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|"
    r"days?|weeks?|months?|years?|[smhdw])\s+ago\s*$",
    re.IGNORECASE,
)


#: Publication dates outside these years are typing errors or sentinels ("0001-01-01",
#: "9999-12-31"): a wrong date is worse than none, and near the ends of the calendar the
#: conversion to UTC itself overflows.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
#: No metadata date is longer than this; a longer string is not a date.
_MAX_DATE_CHARS = 100


def utc(dt: datetime) -> datetime | None:
    """Naive datetimes are taken as UTC; aware ones are converted; implausible ones are None."""
    try:
        converted = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (OverflowError, ValueError):       # "0001-01-01T00:00+01:00" is before year 1 in UTC
        return None
    return converted if EARLIEST <= converted < LATEST else None


def shift(moment: datetime | None, delta: timedelta | None, *, back: bool = False) -> datetime | None:
    """`moment` plus (or minus) `delta`: `moment` when delta is unknown, None when the result is implausible."""
    if moment is None or delta is None:
        return moment
    try:
        return utc(moment - delta if back else moment + delta)
    except OverflowError:
        return None


def parse_date(value: object) -> datetime | None:
    """Parse a metadata date (ISO 8601, RFC 2822, "August 18, 2025", epoch seconds) or None.

    Total: any value gives a plausible UTC datetime or None, never an exception.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return utc(datetime(value.year, value.month, value.day))
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return utc(datetime.fromtimestamp(float(value), tz=UTC))
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or len(value) > _MAX_DATE_CHARS:
        return None
    text = value.strip()
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        pass
    try:
        return utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    m = _TEXT_DATE.fullmatch(text.rstrip("."))
    return _from_match(m) if m else None


def parse_relative(text: str) -> timedelta | None:
    """"13 minutes ago" / "time3 minutes ago" / "an hour ago" -> how long ago, else None."""
    m = RELATIVE.search(text)
    if not m:
        return None
    n_raw = m.group("n").lower()
    n = 1 if n_raw in {"a", "an", "one"} else int(n_raw)   # at most 4 digits: see RELATIVE
    unit = m.group("unit").lower()
    unit = _SHORT_UNITS.get(unit, unit.rstrip("s"))
    return n * _REL_UNITS[unit]


def date_from_text(text: str) -> datetime | None:
    """A publication date stated in the text, or None.

    Only three kinds of evidence count, best first: an explicit marker
    ("Published: Aug. 18, 2025"), a dateline opening a paragraph ("WASHINGTON,
    Aug. 18, 2025 —"), and a photo caption ending in a credit that says when the
    picture was taken ("... in Washington on August 18, 2025. {Getty Images}").
    Dates merely mentioned in the story are not evidence of when it was published.
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in lines:
        for marker in _MARKER.finditer(line):
            found = _date_at(line[marker.end():marker.end() + 40])
            if found and marker.start() < 40:
                return found
    for line in lines:
        head = line[:60]
        m = _TEXT_DATE.search(head) or _ISO_DATE.search(head)
        if m and m.start() < 30 and re.search(r"[—–-]|\(\w+\)", head[m.end():m.end() + 12]):
            return _from_match(m)
    for line in lines:
        if ends_with_credit(line):
            m = _TEXT_DATE.search(line)
            if m:
                return _from_match(m)
    return None


def _date_at(snippet: str) -> datetime | None:
    prefix = _TIME_PREFIX.match(snippet)  # optional parts only: it always matches
    snippet = snippet[prefix.end() if prefix else 0:]
    m = _TEXT_DATE.match(snippet) or _ISO_DATE.match(snippet)
    return _from_match(m) if m else None


def _from_match(m: re.Match[str]) -> datetime | None:
    groups = m.groupdict()
    try:
        if groups.get("y"):
            return utc(datetime(int(groups["y"]), int(groups["m"]), int(groups["d"])))
        month = groups.get("month") or groups.get("month2") or ""
        day = groups.get("day") or groups.get("day2")
        year = groups.get("year") or groups.get("year2")
        return utc(datetime(int(year or ""), _MONTHS[month.lower()[:3]], int(day or "")))
    except (KeyError, TypeError, ValueError):
        return None
