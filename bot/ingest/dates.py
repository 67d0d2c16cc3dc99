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
_ISO_DATE = re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?:[T ][0-9:.]+(?:Z|[+-]\d\d:?\d\d)?)?\b")
#: Words that say "this is when the page was published", e.g. "Published: ...", "Updated on ...".
_MARKER = re.compile(r"\b(?:(?:first |originally |last )?(?:published|posted|updated)\b(?:\s+(?:on|at))?|date\s*:)"
                     r"\s*:?\s*", re.IGNORECASE)
#: What may stand between a marker and its date: a time of day, a zone, a weekday.
_TIME_PREFIX = re.compile(r"(?:\d{1,2}[:.]\d\d\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,5})?\s*[,|·-]?\s*)?"
                          r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?", re.IGNORECASE)
#: Photo credits in captions: "{Tom Brenner/The Washington Post/Getty Images}", "(AP Photo/...)".
CREDIT = re.compile(
    r"[{(\[][^{}()\[\]]*(?:/[^{}()\[\]]+|Getty Images|AP Photo|Reuters|AFP|Photo:|Credit:|Shutterstock|EPA)"
    r"[^{}()\[\]]*[})\]]\s*$"
)

_REL_UNITS = {
    "second": timedelta(seconds=1), "sec": timedelta(seconds=1), "minute": timedelta(minutes=1),
    "min": timedelta(minutes=1), "hour": timedelta(hours=1), "hr": timedelta(hours=1),
    "day": timedelta(days=1), "week": timedelta(weeks=1),
    "month": timedelta(days=30), "year": timedelta(days=365),
}
_SHORT_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
#: "13 minutes ago", "time3 minutes ago", "an hour ago" — the whole phrase, at the end of a line.
RELATIVE = re.compile(
    r"(?:\btime\s*|(?<=[a-z])time)?(?P<n>\d+|\ban?|\bone)\s*(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|"
    r"days?|weeks?|months?|years?|[smhdw])\s+ago\s*$",
    re.IGNORECASE,
)


def utc(dt: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_date(value: object) -> datetime | None:
    """Parse a metadata date (ISO 8601, RFC 2822, "August 18, 2025", epoch seconds) or None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        return utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    m = _TEXT_DATE.fullmatch(text.rstrip("."))
    return _from_match(m) if m else None


def parse_relative(text: str) -> timedelta | None:
    """"13 minutes ago" / "time3 minutes ago" / "an hour ago" -> how long ago, else None."""
    m = RELATIVE.search(text)
    if not m:
        return None
    n_raw = m.group("n").lower()
    n = 1 if n_raw in {"a", "an", "one"} else int(n_raw)
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
        if CREDIT.search(line):
            m = _TEXT_DATE.search(line)
            if m:
                return _from_match(m)
    return None


def _date_at(snippet: str) -> datetime | None:
    snippet = snippet[_TIME_PREFIX.match(snippet).end():]
    m = _TEXT_DATE.match(snippet) or _ISO_DATE.match(snippet)
    return _from_match(m) if m else None


def _from_match(m: re.Match[str]) -> datetime | None:
    groups = m.groupdict()
    try:
        if groups.get("y"):
            return datetime(int(groups["y"]), int(groups["m"]), int(groups["d"]), tzinfo=UTC)
        month = groups.get("month") or groups.get("month2") or ""
        day = groups.get("day") or groups.get("day2")
        year = groups.get("year") or groups.get("year2")
        return datetime(int(year), _MONTHS[month.lower()[:3]], int(day), tzinfo=UTC)
    except (KeyError, TypeError, ValueError):
        return None
