"""Reading what a user types after `subscribe`: a time, a time zone, topics, options.

Syntax (every part optional, in any order before `topics:`):

    subscribe [HH:MM] [Area/City] [quiet|loud] [topics: A, B, C]

e.g. `08:00 Europe/Kyiv topics: Budapest summit, Zelensky`. Mistakes get one line
naming the word that is wrong and what would be right, because a digest set for
the wrong hour is worse than none.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from bot.core import UserError

SYNTAX = "subscribe [HH:MM] [Area/City time zone] [quiet] [topics: A, B]"
EXAMPLE = "08:00 Europe/Kyiv topics: Budapest summit, Zelensky"
MAX_TOPICS = 10
MAX_TOPIC_CHARS = 80

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_TOPICS = re.compile(r"\b(?:topics?|follow(?:ing)?|entities)\s*:", re.I)
_QUIET = {"quiet", "silent", "quiet-empty"}
_LOUD = {"loud", "notify-empty", "say-empty"}


class SpecError(UserError, ValueError):
    """A subscription argument is wrong; the message says which and how to fix it."""


@dataclass(frozen=True, slots=True)
class SubscribeSpec:
    """What the user asked for; None means "keep the current value or the default"."""

    time: str | None = None
    tz: str | None = None
    topics: tuple[str, ...] | None = None
    quiet_empty: bool | None = None


def parse_time(text: str) -> str:
    """"8:05" -> "08:05"; anything else is refused with an example."""
    raw = text.strip()
    m = _TIME.match(raw)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour < 24 and minute < 60:
            return f"{hour:02d}:{minute:02d}"
    raise SpecError(f"{raw[:20]} is not a time; use HH:MM (24-hour), e.g. 08:00")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    names = set(zoneinfo.available_timezones()) | {"UTC"}
    return {n.lower(): n for n in names}


def parse_zone(text: str) -> str:
    """Canonical spelling of an IANA zone ("europe/kyiv" -> "Europe/Kyiv"), or a helpful error."""
    raw = text.strip()
    zones = _zones()
    found = zones.get(raw.lower())
    if found:
        return found
    raise SpecError(f"{raw[:40]} is not an IANA time zone; {_zone_hint(raw)}")


def _zone_hint(raw: str) -> str:
    zones = _zones()
    low = raw.lower()
    # "Kyiv" -> "Europe/Kyiv": a bare city is the commonest mistake.
    by_city = [name for key, name in zones.items() if key.rsplit("/", 1)[-1] == low]
    close = by_city or [zones[k] for k in difflib.get_close_matches(low, list(zones), n=1, cutoff=0.75)]
    hint = "use Area/City, e.g. Europe/Kyiv"
    return f"did you mean {sorted(close)[0]}? ({hint})" if close else hint


def parse_topics(text: str) -> tuple[str, ...]:
    """"Budapest summit, Zelensky" -> ("Budapest summit", "Zelensky"); "none" clears them."""
    items: list[str] = []
    for part in re.split(r"[,;]", text):
        topic = " ".join(part.split())
        if not topic or topic.lower() in items:
            continue
        if len(topic) > MAX_TOPIC_CHARS:
            raise SpecError(f"the topic “{topic[:30]}…” is longer than {MAX_TOPIC_CHARS} characters")
        items.append(topic)
    if [t.lower() for t in items] in (["none"], ["-"]):
        return ()
    if len(items) > MAX_TOPICS:
        raise SpecError(f"{len(items)} topics given; follow at most {MAX_TOPICS}")
    return tuple(items)


def parse_subscribe(text: str) -> SubscribeSpec:
    """Read `[HH:MM] [Zone] [quiet|loud] [topics: A, B]`; every word must be understood."""
    text = " ".join((text or "").split())
    topics: tuple[str, ...] | None = None
    m = _TOPICS.search(text)
    if m:
        topics = parse_topics(text[m.end():])
        text = text[:m.start()].strip()
    time = tz = None
    quiet: bool | None = None
    for word in text.split():
        low = word.lower()
        if low in _QUIET or low in _LOUD:
            quiet = low in _QUIET
        elif word[0].isdigit():
            if time is not None:
                raise SpecError(f"two times given ({time} and {word[:20]}); give one HH:MM")
            time = parse_time(word)
        elif tz is None:
            tz = parse_zone(word)
        else:
            raise SpecError(f"“{word[:30]}” is not understood; use `{SYNTAX}`, e.g. `{EXAMPLE}` "
                            "(put topics after “topics:”)")
    return SubscribeSpec(time=time, tz=tz, topics=topics, quiet_empty=quiet)
