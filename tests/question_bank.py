"""A bank of questions people ask, each with the command, topic and time window it must give.

Questions are templates x topics x time windows. The topics come from the seeded index
(the people and events it really holds), so the bank grows with the seeds. HELD_OUT
templates were written before the parser and are never tuned against: their accuracy is
reported apart (tests/test_question_bank.py, bench/question_bank.py).

Window bounds are written out by hand for one fixed "now", a Wednesday, so that a
window is checked against dates a person would name, not against the parser's own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

#: The clock every bank question is asked at: Wednesday 22 October 2025, 15:00 UTC.
NOW = datetime(2025, 10, 22, 15, 0, tzinfo=UTC)


def _d(month: int, day: int, hour: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


#: (phrase, start, end) at NOW. Calendar periods run to the end of the period; rolling
#: ones ("the last 3 days", "since Monday") run to now, day counts from midnight.
WINDOWS: list[tuple[str, datetime, datetime]] = [
    ("today", _d(10, 22), _d(10, 23)),
    ("yesterday", _d(10, 21), _d(10, 22)),
    ("this week", _d(10, 20), _d(10, 27)),
    ("last week", _d(10, 13), _d(10, 20)),
    ("since Monday", _d(10, 20), NOW),
    ("in the last 3 days", _d(10, 19), NOW),
    ("past 24 hours", _d(10, 21, 15), NOW),
    ("in October", _d(10, 1), _d(11, 1)),
    ("in October 2025", _d(10, 1), _d(11, 1)),
    ("this month", _d(10, 1), _d(11, 1)),
    ("in August", _d(8, 1), _d(9, 1)),
    ("last month", _d(9, 1), _d(10, 1)),
]

#: Phrasings of windows seen only by the held-out half of the bank.
HELD_OUT_WINDOWS: list[tuple[str, datetime, datetime]] = [
    ("over the past 2 days", _d(10, 20), NOW),
    ("during last week", _d(10, 13), _d(10, 20)),
    ("since Tuesday", _d(10, 21), NOW),
    ("in the past week", _d(10, 15), NOW),
    ("in September 2025", _d(9, 1), _d(10, 1)),
    ("in the last 48 hours", _d(10, 20, 15), NOW),
]

# A template: (text with {x} = topic, {w} = " <window>" or "", command, topic with {x}/{y}).
# {W} instead of {w} puts the window first: "This week, what did X say".
Template = tuple[str, str, str]

DEV: list[Template] = [
    ("latest on {x}{w}", "latest", "{x}"),
    ("what's new with {x}{w}?", "latest", "{x}"),
    ("any news on {x}{w}", "latest", "{x}"),
    ("updates on {x}{w}", "latest", "{x}"),
    ("what's going on with {x}{w}?", "latest", "{x}"),
    ("tell me about {x}{w}", "latest", "{x}"),
    ("{x}{w}?", "latest", "{x}"),
    ("latst on {x}{w}", "latest", "{x}"),
    ("when is {x}?", "latest", "{x}"),
    ("who is {x}", "who", "{x}"),
    ("whoo is {x}?", "who", "{x}"),
    ("timeline of {x}{w}", "timeline", "{x}"),
    ("timline of {x}{w}", "timeline", "{x}"),
    ("sources for {x}{w}", "sources", "{x}"),
    ("what did {x} say{w}?", "says", "{x}"),
    ("what is {x} saying{w}", "says", "{x}"),
    ("what did {x} say about {y}{w}", "says", "{x} about {y}"),
]

HELD_OUT: list[Template] = [
    ("any updates about {x}{w}?", "latest", "{x}"),
    ("what has {x} said{w}?", "says", "{x}"),
    ("lastest news on {x}{w}", "latest", "{x}"),
    ("what's happening with {x}{w}", "latest", "{x}"),
    ("history of {x}{w}", "timeline", "{x}"),
    ("sourses on {x}", "sources", "{x}"),
    ("{W}what did {x} say?", "says", "{x}"),
    ("who's {x}?", "who", "{x}"),
    ("catch me up on {x}{w}", "latest", "{x}"),
    ("what is {x} saying about {y}", "says", "{x} about {y}"),
]

#: Commands whose {x} is a person (speech, profiles); the rest take any topic.
_PEOPLE_ONLY = ("says", "who")


@dataclass(frozen=True)
class Case:
    text: str
    command: str
    topic: str
    window: tuple[datetime, datetime] | None
    held_out: bool


def build_bank(people: list[str], events: list[str]) -> list[Case]:
    """Every template with every fitting topic, once without a window and once with one
    (taking the windows in turn), so each template meets several window phrasings."""
    cases: list[Case] = []
    for held_out, templates, windows in ((False, DEV, WINDOWS),
                                         (True, HELD_OUT, WINDOWS + HELD_OUT_WINDOWS)):
        turn = 0
        for text, command, topic in templates:
            xs = people if command in _PEOPLE_ONLY else people + events
            for i, x in enumerate(xs):
                y = events[i % len(events)]
                options: list[tuple[str, str, tuple[datetime, datetime] | None]] = [("", "", None)]
                if "{w}" in text or "{W}" in text:
                    phrase, start, end = windows[turn % len(windows)]
                    turn += 1
                    options.append((" " + phrase, phrase[:1].upper() + phrase[1:] + ", ",
                                    (start, end)))
                for w, big_w, window in options:
                    if "{W}" in text and not big_w:
                        continue
                    cases.append(Case(text.format(x=x, y=y, w=w, W=big_w), command,
                                      topic.format(x=x, y=y), window, held_out))
    return cases


def bank_topics(index, k: int = 3) -> tuple[list[str], list[str]]:
    """The k people and k events the index holds most articles on: real topics, not invented."""
    people = [e.name for e in sorted(index.entities(), key=lambda e: -len(e.article_ids))
              if e.type == "PERSON"][:k]
    events = [e.name for e in sorted(index.events(), key=lambda e: -len(e.article_ids))][:k]
    return people, events


@dataclass(frozen=True)
class Scored:
    """Share of questions whose command, topic, window (and all three) came out right."""

    command: float
    topic: float
    window: float
    exact: float
    misses: tuple[tuple[Case, tuple[str, str, tuple[datetime, datetime] | None]], ...]


def score(cases: list[Case], answer) -> Scored:
    """`answer(text)` -> (command, topic, (start, end) or None), judged against each case."""
    if not cases:
        return Scored(0.0, 0.0, 0.0, 0.0, ())
    got = [(c, answer(c.text)) for c in cases]
    n = len(cases)
    ok_cmd = [c.command == a[0] for c, a in got]
    ok_topic = [c.topic == a[1] for c, a in got]
    ok_win = [c.window == a[2] for c, a in got]
    exact = [x and y and z for x, y, z in zip(ok_cmd, ok_topic, ok_win, strict=True)]
    return Scored(sum(ok_cmd) / n, sum(ok_topic) / n, sum(ok_win) / n, sum(exact) / n,
                  tuple((c, a) for (c, a), e in zip(got, exact, strict=True) if not e))
