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
    r"more from [\w .&'-]+|top stories|latest news|most read|popular|further reading|see also)"
    r"(?:\s+(?:articles?|stories|news|reading|coverage|links|content|posts|for you|to read|like this))?"
    r"\s*:?$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[•·▪●■◦*]|-)\s+(?P<name>.+?)\s*$")


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
    """The main article first, then each related story in page order."""
    zone = _related_zone(lines)
    main = Part(position=1)
    main_end = zone if zone is not None else len(lines)
    for i, line in enumerate(lines[:main_end]):
        pub, ago = _time_line(line)
        if ago is not None and main.ago is None and i < 12:
            main.ago, main.publisher = ago, pub   # "Hindustan Times10 hours ago" under the title
            continue
        main.lines.append(line)
    if zone is None:
        return [main]
    headers = _headers(lines, zone)
    parts = [main]
    for n, header in enumerate(headers):
        end = headers[n + 1].start if n + 1 < len(headers) else len(lines)
        parts.append(Part(position=n + 2, lines=lines[header.body:end], title=header.title,
                          publisher=header.publisher, ago=header.ago))
    return parts


def _related_zone(lines: list[str]) -> int | None:
    """Index of the line where related stories begin, or None when the page has none."""
    for i, line in enumerate(lines):
        if RELATED_MARKER.match(line.strip()) and _headers(lines, i + 1):
            return i
    # No marker: a time line followed by a bulleted publisher is still a story header.
    for i, line in enumerate(lines):
        if _time_line(line)[1] is not None and _bullet_after(lines, i) is not None and i > 0:
            start = _headers(lines, i - 2 if i >= 2 else 0)
            if start:
                return start[0].start
    return None


def _time_line(line: str) -> tuple[str | None, timedelta | None]:
    """ "Hindustan Times10 hours ago" -> ("Hindustan Times", 10h); prose -> (None, None)."""
    text = line.strip()
    m = RELATIVE.search(text)
    if not m or len(text) > 80 or has_sentence_end(text[: m.start()]):
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
    return m.group("name") if m and len(m.group("name").split()) <= 6 else None


def _headers(lines: list[str], begin: int) -> list[_Header]:
    found: list[_Header] = []
    for i in range(begin, len(lines)):
        pub, ago = _time_line(lines[i])
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
        if not _is_headline(title):              # the body follows the header at once:
            title, body = None, j                # the headline may stand above the header
            above = _prev_nonempty(lines, start - 1, begin)
            if above is not None and _is_headline(lines[above]) and not RELATED_MARKER.match(lines[above].strip()):
                title, start = lines[above].strip(), above
        while title is not None:                 # the headline repeated above the header
            p = _prev_nonempty(lines, start - 1, begin)
            if p is None or norm(lines[p]) != norm(title):
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
