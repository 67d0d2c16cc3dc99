"""Splitting an aggregator page into its main article and its related stories.

Aggregators append "Related Articles": each story opens with a small header
(publisher, "13 minutes ago", a bulleted publisher, the headline) and runs until
the next header. A header is recognised by its shape, a relative time next to a
short publisher line, so section headings inside an article ("Trump's Gamble")
never start a new story: they have no time line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from bot.ingest.clean import has_sentence_end, norm, words_of
from bot.ingest.dates import RELATIVE, parse_relative

#: "Related Articles", "More stories", "You may also like", "Read more:" ...
RELATED_MARKER = re.compile(
    r"^(?:related|more|recommended|trending|also read|read more|read next|you may also like|"
    r"more from [\w .&'-]{1,60}|top stories|latest news|most read|popular|further reading|see also)"
    r"(?:\s+(?:articles?|stories|news|reading|coverage|links|content|posts|for you|to read|like this))?"
    r"\s{0,3}:?$",
    re.IGNORECASE,
)
#: "• Hindustan Times"; the name is stripped afterwards (a lazy ".+?\s*$" was quadratic).
_BULLET = re.compile(r"^\s*(?:[•·▪●■◦*]|-)\s+(?P<name>\S.*)$")
#: A header's time line is short ("Hindustan Times10 hours ago"); longer lines are prose.
_TIME_LINE_MAX = 80
#: How many copies of a headline above its header are taken as part of it (a page of
#: thousands of identical lines would otherwise be walked back over for every header).
_MAX_REPEATS = 3


@dataclass
class Part:
    """One story's slice of a page, before cleaning."""

    position: int                      # 1 = the page's main article, 2.. = related stories
    lines: list[str] = field(default_factory=list)
    title: str | None = None           # None for the main article: the page title applies
    publisher: str | None = None       # as the page's header says (a related story's carrier)
    ago: timedelta | None = None       # "13 minutes ago" relative to when the page was captured


@dataclass
class _Header:
    start: int          # first line of the header (repeated title or publisher line)
    body: int           # first line of the story's body
    title: str | None
    publisher: str | None
    ago: timedelta


def split_page(lines: list[str]) -> list[Part]:
    """The main article first, then each related story in page order.

    Linear in the number of lines: each line's time stamp is read once, and the
    headers are looked for once, from where the related stories begin.
    """
    times = [_time_line(line) for line in lines]
    zone = _related_zone(lines, times)
    main = Part(position=1)
    main_end = zone if zone is not None else len(lines)
    for i, line in enumerate(lines[:main_end]):
        pub, ago = times[i]
        if ago is not None and main.ago is None and i < 12:
            main.ago, main.publisher = ago, pub   # "Hindustan Times10 hours ago" under the title
            continue
        main.lines.append(line)
    if zone is None:
        return [main]
    headers = _headers(lines, zone, times)
    parts = [main]
    for n, header in enumerate(headers):
        end = headers[n + 1].start if n + 1 < len(headers) else len(lines)
        parts.append(Part(position=n + 2, lines=lines[header.body:end], title=header.title,
                          publisher=header.publisher, ago=header.ago))
    return parts


Times = list[tuple[str | None, timedelta | None]]


def _related_zone(lines: list[str], times: Times) -> int | None:
    """Index of the line where related stories begin, or None when the page has none."""
    last = _last_header(lines, times)
    if last is None:
        return None                     # no story header anywhere: nothing to split
    for i, line in enumerate(lines[:last]):
        if RELATED_MARKER.match(line.strip()):
            return i                    # a marker with a story header somewhere below it
    # No marker: a time line followed by a bulleted publisher is still a story header.
    for i in range(1, len(lines)):
        if times[i][1] is not None and _bullet_after(lines, i) is not None:
            start = _headers(lines, i - 2 if i >= 2 else 0, times)
            return start[0].start if start else None
    return None


def _time_line(line: str) -> tuple[str | None, timedelta | None]:
    """ "Hindustan Times10 hours ago" -> ("Hindustan Times", 10h); prose -> (None, None)."""
    text = line.strip()
    if len(text) > _TIME_LINE_MAX:
        return None, None
    m = RELATIVE.search(text)
    if not m or has_sentence_end(text[: m.start()]):
        return None, None
    prefix = text[: m.start()].strip(" -·|•,")
    if len(prefix.split()) > 6:
        return None, None
    return (prefix or None), parse_relative(text)


def _bullet_after(lines: list[str], i: int) -> str | None:
    j = _next_nonempty(lines, i + 1)
    if j is None:
        return None
    m = _BULLET.match(lines[j])
    name = m.group("name").strip() if m else ""
    return name if name and len(name.split()) <= 6 else None


def _last_header(lines: list[str], times: Times) -> int | None:
    """The last line that opens a story header (a time line with a story below it), or None.

    The same test `_headers` applies, without looking for titles: whether any header
    exists from a line on is then one comparison instead of a scan of the page.
    """
    for i in range(len(lines) - 1, -1, -1):
        if times[i][1] is None:
            continue
        j = _next_nonempty(lines, i + 1)
        if j is not None and _bullet_after(lines, i) is not None:
            j = _next_nonempty(lines, j + 1)
        if j is not None:
            return i
    return None


def _headers(lines: list[str], begin: int, times: Times) -> list[_Header]:
    found: list[_Header] = []
    for i in range(begin, len(lines)):
        pub, ago = times[i]
        if ago is None:
            continue
        start = i
        prev = _prev_nonempty(lines, i - 1, begin)
        if pub is None and prev is not None and _looks_like_name(lines[prev]):
            pub, start = lines[prev].strip(), prev
        j = _next_nonempty(lines, i + 1)
        bullet = _bullet_after(lines, i)
        if bullet is not None and j is not None:
            pub = bullet
            j = _next_nonempty(lines, j + 1)
        if j is None:
            continue
        title: str | None = lines[j].strip()
        body = j + 1
        if not title or not _is_headline(title):  # the body follows the header at once:
            title, body = None, j                # the headline may stand above the header
            above = _prev_nonempty(lines, start - 1, begin)
            if above is not None and _is_headline(lines[above]) and not RELATED_MARKER.match(lines[above].strip()):
                title, start = lines[above].strip(), above
        for _ in range(_MAX_REPEATS if title is not None else 0):   # the headline repeated above
            p = _prev_nonempty(lines, start - 1, begin)
            if p is None or title is None or norm(lines[p]) != norm(title):
                break
            start = p
        found.append(_Header(start=start, body=body, title=title, publisher=pub, ago=ago))
    return found


def _is_headline(line: str) -> bool:
    text = line.strip()
    return 0 < len(words_of(text)) <= 30 and not text.endswith(".")


def _looks_like_name(line: str) -> bool:
    text = line.strip()
    words = words_of(text)
    return 0 < len(words) <= 6 and not has_sentence_end(text) and text[:1].isupper()


def _next_nonempty(lines: list[str], i: int) -> int | None:
    while i < len(lines):
        if lines[i].strip():
            return i
        i += 1
    return None


def _prev_nonempty(lines: list[str], i: int, floor: int) -> int | None:
    while i >= floor:
        if lines[i].strip():
            return i
        i -= 1
    return None
