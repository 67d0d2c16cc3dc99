"""What a person means by a question typed in plain words: command, topic, time window.

This module is the one home of the question grammar. DMs, @mentions and `briefbot ask`
go through `parse_question`; slash commands, whose command is already chosen, only have
their time window split off (`split_window`). The grammar is a short list of cue
phrases per command ("latest on", "what did X say", "timeline of"...); its own words,
with the registry's command names, are the vocabulary that typos are corrected against
by edit distance ("latst", "timline", "whoo"), so there is no table of misspellings.

A time window ("this week", "since Monday", "in October 2025") is kept as what was
asked, not as dates: `Window.bounds(now)` turns it into dates at answer time, against
the services' settable clock, so one parsed question means the same on any clock.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.text_hygiene import clean_line
from summarizer.facets import MONTHS

if TYPE_CHECKING:  # pragma: no cover
    from bot.core import Registry


# --- time windows --------------------------------------------------------------------------

class Span(StrEnum):
    """How a window's dates follow from "now"."""

    DAY = "day"        # calendar day, `back` days ago (today = 0)
    WEEK = "week"      # calendar week from Monday, `back` weeks ago
    MONTH = "month"    # calendar month, `back` months ago
    YEAR = "year"      # calendar year, `back` years ago
    HOURS = "hours"    # the last `count` hours, to now
    DAYS = "days"      # from midnight `count` days ago, to now
    NAMED_MONTH = "named_month"  # a month by name, this year's or the latest one past
    NAMED_YEAR = "named_year"    # "in 2025"
    SINCE_WEEKDAY = "since_weekday"  # from the latest such weekday (today counts), to now
    SINCE_MONTH = "since_month"      # from the first of the latest such month, to now
    WEEKDAY = "weekday"              # "on Monday": the latest such day (today counts)
    DATE = "date"                    # "on 17 October": that day, this year's or the latest past
    SINCE_DATE = "since_date"        # "since 1 October": from that day, to now


@dataclass(frozen=True, slots=True)
class Window:
    """A time window as asked ("the last 3 days"); dates only once a clock is known."""

    phrase: str
    span: Span
    back: int = 0
    count: int = 0
    month: int = 0
    year: int | None = None
    weekday: int = 0
    day: int = 0

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """[start, end) in UTC. Calendar periods run to their end; rolling ones to now."""
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        now = now.astimezone(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        match self.span:
            case Span.DAY:
                start = today - timedelta(days=self.back)
                return start, start + timedelta(days=1)
            case Span.WEEK:
                start = today - timedelta(days=today.weekday() + 7 * self.back)
                return start, start + timedelta(days=7)
            case Span.MONTH:
                year, month = _months_back(now.year, now.month, self.back)
                return _month_start(year, month), _month_start(*_months_back(year, month, -1))
            case Span.YEAR:
                start = datetime(now.year - self.back, 1, 1, tzinfo=UTC)
                return start, start.replace(year=start.year + 1)
            case Span.HOURS:
                return now - timedelta(hours=self.count), now
            case Span.DAYS:
                return today - timedelta(days=self.count), now
            case Span.NAMED_MONTH:
                year = self.year if self.year is not None else (
                    now.year if self.month <= now.month else now.year - 1)
                return _month_start(year, self.month), _month_start(*_months_back(year, self.month, -1))
            case Span.NAMED_YEAR:
                start = datetime(self.year or now.year, 1, 1, tzinfo=UTC)
                return start, start.replace(year=start.year + 1)
            case Span.SINCE_WEEKDAY:
                return today - timedelta(days=(today.weekday() - self.weekday) % 7), now
            case Span.SINCE_MONTH:
                year = now.year if self.month <= now.month else now.year - 1
                return _month_start(year, self.month), now
            case Span.WEEKDAY:
                start = today - timedelta(days=(today.weekday() - self.weekday) % 7 or 7 * self.back)
                return start, start + timedelta(days=1)
            case Span.DATE | Span.SINCE_DATE:
                start = self._date(today)
                return start, (start + timedelta(days=1) if self.span == Span.DATE else now)
        raise AssertionError(self.span)  # pragma: no cover - every Span is matched above

    def _date(self, today: datetime) -> datetime:
        """The day named, in the year given, else this year's if not after today, else last
        year's; a day the month lacks (31 April) is its last day."""
        def on(year: int) -> datetime:
            last = calendar.monthrange(year, self.month)[1]
            return datetime(year, self.month, min(self.day, last), tzinfo=UTC)
        if self.year is not None:
            return on(self.year)
        return on(today.year) if on(today.year) <= today else on(today.year - 1)

    @property
    def spoken(self) -> str:
        """The window as it reads after "no coverage of X": "in October", "this week"."""
        if self.span in (Span.NAMED_MONTH, Span.NAMED_YEAR, Span.HOURS, Span.DAYS) \
                and not self.phrase.startswith("since"):
            return f"in {self.phrase}"
        if self.span in (Span.WEEKDAY, Span.DATE) and not self.phrase.startswith("last"):
            return f"on {self.phrase}"
        return self.phrase

    def describe(self, now: datetime) -> str:
        """ "this week (20 Oct – 26 Oct 2025)": the words asked, with the dates they meant."""
        start, end = self.bounds(now)
        last = end - timedelta(seconds=1)
        if start.date() == last.date():
            dates = f"{start:%d %b %Y}"
        elif start.year == last.year:
            dates = f"{start:%d %b} – {last:%d %b %Y}"
        else:
            dates = f"{start:%d %b %Y} – {last:%d %b %Y}"
        return f"{self.spoken} ({dates})"

    def holds(self, when: datetime | None, now: datetime) -> bool:
        """True if an article published at `when` falls in the window (undated ones never do)."""
        if when is None:
            return False
        start, end = self.bounds(now)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return start <= when < end


def _months_back(year: int, month: int, back: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) - back
    return index // 12, index % 12 + 1


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve")
_NUMBER = r"(?P<n>\d{1,3}|(?:a\s+)?few|(?:a\s+)?couple(?:\s+of)?|an?|" + "|".join(_NUMBER_WORDS) + ")"
_MONTH = "(?P<month>" + "|".join(m for m in MONTHS) + "|" + \
    "|".join(m[:3] + r"\.?" for m in MONTHS) + "|Sept\\.?)"
_WEEKDAY = "(?P<weekday>" + "|".join(calendar.day_name) + ")"
#: Words that only tie a window to the question ("news from last week").
_LEAD = r"(?:(?:from|during|in|over|for|within|of|on|since)\s+)?(?:the\s+)?"

_WINDOW = re.compile(
    r"(?<![\w'’-])(?:"
    rf"(?P<relday>{_LEAD}(?:today|tonight|this\s+morning|yesterday))(?!['’]s)"
    rf"|(?P<since_day>since\s+(?:yesterday|{_WEEKDAY}))"
    rf"|(?P<rolling>{_LEAD}(?:last|past|previous)\s+{_NUMBER}\s+(?P<unit>hours?|days?|weeks?|months?))"
    r"|(?P<rolling1>(?:(?:from|during|in|over|for|within|of)\s+)?"
    r"(?:the\s+(?:past|last|previous)|past|this\s+past)\s+(?P<unit1>day|week|month|year))"
    rf"|(?P<ago>{_LEAD}{_NUMBER.replace('(?P<n>', '(?P<n2>')}\s+(?P<agounit>days?|weeks?)\s+ago)"
    rf"|(?P<calendar>{_LEAD}(?P<which>this|last|previous)\s+(?P<period>week|month|year))"
    rf"|(?P<date>(?P<dprep>on|since|from)\s+(?:(?P<dday>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.replace('month>', 'dmonth>')}"
    rf"|{_MONTH.replace('month>', 'dmonth2>')}\s+(?P<dday2>\d{{1,2}})(?:st|nd|rd|th)?)(?:,?\s+(?P<dyear>(?:19|20)\d\d))?)"
    rf"|(?P<on_day>(?:on\s+(?:the\s+)?(?P<olast>last\s+)?|(?P<last>last\s+)){_WEEKDAY.replace('weekday>', 'oweekday>')})"
    rf"|(?P<since_month>since\s+{_MONTH.replace('month>', 'smonth>')})"
    rf"|(?P<named>(?:(?:in|during|for|over|of)\s+(?:the\s+month\s+of\s+)?{_MONTH}(?:\s+(?P<year>(?:19|20)\d\d))?"
    rf"|{_MONTH.replace('month>', 'month2>')}\s+(?P<year2>(?:19|20)\d\d)))"
    r"|(?P<in_year>(?:in|during)\s+(?P<year3>(?:19|20)\d\d))"
    r")(?![\w'’-])",
    re.IGNORECASE,
)


def _month_number(name: str) -> int:
    key = name.rstrip(".").lower()[:3]
    return next(i for i, m in enumerate(MONTHS, start=1) if m[:3].lower() == key)


def _count(word: str) -> int:
    word = " ".join(word.lower().split())
    if word.isdigit():
        return int(word)
    if word in ("a", "an"):
        return 1
    if word.endswith("few"):
        return 3
    if "couple" in word:
        return 2
    return _NUMBER_WORDS.index(word) + 1


def _window_of(m: re.Match[str]) -> Window | None:
    g = m.groupdict()
    if g["relday"]:
        back = 1 if "yesterday" in g["relday"].lower() else 0
        return Window("yesterday" if back else "today", Span.DAY, back=back)
    if g["since_day"]:
        if g["weekday"]:
            day = g["weekday"].title()
            return Window(f"since {day}", Span.SINCE_WEEKDAY,
                          weekday=list(calendar.day_name).index(day))
        return Window("since yesterday", Span.DAYS, count=1)
    if g["rolling"]:
        n = _count(g["n"])
        if n == 0:
            return None
        unit = g["unit"].lower().rstrip("s")
        shown = f"the last {n} {unit}{'s' if n != 1 else ''}"
        if unit == "hour":
            return Window(shown, Span.HOURS, count=n)
        days = {"day": 1, "week": 7, "month": 30}[unit] * n
        return Window(shown, Span.DAYS, count=days)
    if g["rolling1"]:
        unit = g["unit1"].lower()
        days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit]
        return Window(f"the last {unit}", Span.HOURS if unit == "day" else Span.DAYS,
                      count=24 if unit == "day" else days)
    if g["ago"]:
        n = _count(g["n2"])
        unit = g["agounit"].lower().rstrip("s")
        shown = f"{n} {unit}{'s' if n != 1 else ''} ago"
        return Window(shown, Span.DAY if unit == "day" else Span.WEEK, back=n)
    if g["calendar"]:
        back = 0 if g["which"].lower() == "this" else 1
        period = g["period"].lower()
        span = {"week": Span.WEEK, "month": Span.MONTH, "year": Span.YEAR}[period]
        return Window(f"{'this' if back == 0 else 'last'} {period}", span, back=back)
    if g["date"]:
        month = _month_number(g["dmonth"] or g["dmonth2"])
        day = int(g["dday"] or g["dday2"])
        if not 1 <= day <= 31:
            return None
        year = int(g["dyear"]) if g["dyear"] else None
        named = f"{day} {MONTHS[month - 1]}{f' {year}' if year else ''}"
        since = g["dprep"].lower() != "on"
        return Window(f"since {named}" if since else named, Span.SINCE_DATE if since else Span.DATE,
                      month=month, day=day, year=year)
    if g["on_day"]:
        day = g["oweekday"].title()
        back = 1 if (g["olast"] or g["last"]) else 0
        return Window(f"{'last ' if back else ''}{day}", Span.WEEKDAY, back=back,
                      weekday=list(calendar.day_name).index(day))
    if g["since_month"]:
        month = _month_number(g["smonth"])
        return Window(f"since {MONTHS[month - 1]}", Span.SINCE_MONTH, month=month)
    if g["named"]:
        month = _month_number(g["month"] or g["month2"])
        typed_year = g["year"] or g["year2"]
        return Window(f"{MONTHS[month - 1]}{' ' + typed_year if typed_year else ''}", Span.NAMED_MONTH,
                      month=month, year=int(typed_year) if typed_year else None)
    if g["in_year"]:
        return Window(g["year3"], Span.NAMED_YEAR, year=int(g["year3"]))
    return None  # pragma: no cover - one group always matches


def _inside_name(text: str, m: re.Match[str]) -> bool:
    """ "USA Today", "Russia Today": a capitalised one-word window right after a capitalised
    word is the end of a name, not a time."""
    before = text[:m.start()].split()
    word = m.group(0)
    return bool(word[:1].isupper() and " " not in word and before and before[-1][:1].isupper()
                and not before[-1].endswith((",", ":", ";")))


def split_window(text: str) -> tuple[str, Window | None]:
    """ "Zelensky this week" -> ("Zelensky", this week). The last window named wins;
    the words that tied it to the question ("from", "during", a comma) go with it."""
    found = [(m, w) for m in _WINDOW.finditer(text)
             if not _inside_name(text, m) and (w := _window_of(m)) is not None]
    if not found:
        return text, None
    m, window = found[-1]
    rest = f"{text[:m.start()]} {text[m.end():]}"
    rest = re.sub(r"\s+([,;:?!.])", r"\1", " ".join(rest.split()))
    return rest.strip(" ,;:-–—"), window


# --- commands ------------------------------------------------------------------------------

class Cmd(StrEnum):
    """The commands the grammar can name (each must also be registered to be chosen)."""

    HELP = "help"
    DIGEST = "digest"
    SAYS = "says"
    WHO = "who"
    TIMELINE = "timeline"
    SOURCES = "sources"
    LATEST = "latest"


_WHAT_IS = r"what(?:'s|’s|s|'re|’re|\s+is|\s+are|\s+was|\s+were|\s+has|\s+have)"
_SPEECH = (r"(?:say|says|said|tell|told|tweet|tweeted|post|posted|write|wrote|claim|claimed|"
           r"announce|announced|think|thinks|thought)")
_SPEAKING = r"(?:saying|telling|tweeting|posting|writing|claiming|announcing|thinking)"
_ABOUT = r"(?:\s+(?:about|on|regarding|to|of)\s+(?P<y>.+?))?"
_PREP = r"(?:on|about|with|for|in|from|at|around|re:?)"
_HAPPENING = (r"(?:\s+(?:going\s+to\s+)?(?:happening|happen|taking\s+place|take\s+place|be\s+held|held|"
              r"starting|start|begin|due|be))?")

#: Tried in order; group t (or x with optional y) is the topic. Anything else is a topic for
#: `latest`. Their words are the vocabulary that typos are corrected against.
_GRAMMAR: list[tuple[Cmd, re.Pattern[str]]] = [(cmd, re.compile(p, re.IGNORECASE)) for cmd, p in [
    (Cmd.HELP, r"^(?:help|\?|commands|what\s+can\s+you\s+do)$"),
    (Cmd.DIGEST, r"^(?:(?:today'?s\s+|the\s+|daily\s+)?digest)(?:\s+(?P<t>.*))?$"),
    (Cmd.SAYS, rf"^what\s+(?!(?:(?:did|does|do|have)\s+)?(?:you|i|we|people)\b)(?:(?:did|does|do|has|have|had)\s+)?(?P<x>.+?)\s+(?:just\s+|really\s+|"
               rf"have\s+to\s+|had\s+to\s+|has\s+to\s+)?(?:{_SPEECH}|(?:is|are|was|has\s+been|have\s+been)\s+"
               rf"{_SPEAKING})(?:\s+(?:reporters|journalists|the\s+press|the\s+media))?{_ABOUT}$"),
    (Cmd.SAYS, r"^what\s+(?:did|does|has|have|had)\s+(?P<x>.+?)\s+(?:tell|told)\s+(?P<y>.+?)"
               r"(?:\s+about\s+.+)?$"),
    (Cmd.SAYS, rf"^{_WHAT_IS}\s+(?P<x>(?!(?:you|i|we|people)\b).+?)\s+(?:been\s+)?{_SPEAKING}{_ABOUT}$"),
    (Cmd.SAYS, rf"^(?:quotes?|statements?|remarks?|comments?)\s+(?:from|by)\s+(?P<x>.+?){_ABOUT}$"),
    (Cmd.WHO, r"^(?:who\s+(?:exactly\s+)?is|who'?s|who’s|who\s+was|who\s+are)(?:\s+(?P<t>.+?))?$"),
    (Cmd.WHO, r"^(?:tell\s+me\s+)?who\s+(?P<t>.+?)\s+(?:is|was)$"),
    (Cmd.TIMELINE, r"^(?:(?:give|show|get)\s+me\s+)?(?:(?:a\s+|the\s+)?(?:timeline|chronology)\s+(?:of|for|on)"
                   r"|(?:a\s+|the\s+)?history\s+of|how\s+did"
                   r"|timeline|chronology)(?:\s+(?P<t>.+?))?"
                   r"(?:\s+(?:unfold|unfolded|develop|developed|happen|come\s+about))?$"),
    (Cmd.SOURCES, r"^(?:(?:give|show|get|list)\s+(?:me\s+)?)?(?:(?:what\s+are\s+)?(?:your\s+|the\s+)?"
                  r"(?:sources?|articles?)\s+(?:for|on|about|mentioning)|sources"
                  r"|where\s+did\s+you\s+read\s+about)(?:\s+(?P<t>.+?))?$"),
    (Cmd.LATEST, rf"^(?:when\s+(?:is|was|will|does|did|are)|when'?s|when’s)(?:\s+the)?(?:\s+(?P<t>.+?))?{_HAPPENING}$"),
    (Cmd.LATEST, r"^(?:"
                 rf"(?:{_WHAT_IS}\s+|(?:is|are)\s+there\s+|got\s+)?(?:give\s+me\s+|tell\s+me\s+)?"
                 r"(?:the\s+|any\s+)?(?:latest|newest|news|updates?|developments?|word)(?:\s+(?:news|updates?))?"
                 rf"(?:\s+{_PREP})?"
                 rf"|{_WHAT_IS}\s+(?:been\s+)?(?:new|happening|going\s+on|up)(?:\s+{_PREP})?"
                 rf"|what\s+(?:happened|has\s+happened|is\s+happening|has\s+been\s+happening)(?:\s+{_PREP}|\s+to)?"
                 rf"|anything\s+(?:new\s+)?{_PREP}"
                 r"|(?:brief|catch|fill)\s+me\s+(?:up\s+|in\s+)?(?:on|about)"
                 r"|tell\s+me\s+(?:more\s+)?about|how\s+is|how's|how’s"
                 r")(?:\s+(?P<t>.+?))?$"),
    (Cmd.SAYS, r"^(?P<x>.+?)(?:'s|’s)?\s+(?:quotes|statements|remarks)$"),
]]

#: The grammar's own words: what a misspelt cue word is corrected to.
_CUE_WORDS = frozenset(w for _, p in _GRAMMAR for w in re.findall(r"[a-z]{2,}", p.pattern)
                       if w not in {"re"})
_TOKEN_EDGE = re.compile(r"^[^\w'’]+|[^\w'’]+$")


@dataclass(frozen=True, slots=True)
class Question:
    """A question as the commands see it: which command, about what, and when."""

    command: str
    topic: str
    window: Window | None = None
    #: Cue words read as others by edit distance, e.g. ("latst", "latest").
    corrections: tuple[tuple[str, str], ...] = field(default=())


def parse_question(text: str, registry: Registry) -> Question:
    """Map "latest on X", "what did X say about Y this week", "timline of X"... to a Question.

    Order: the grammar on the text as typed; then with misspelt leading cue words
    corrected; then a leading registered command name ("sources Alaska", "subscibe
    08:00"); anything else is a topic for `latest`. The window is split off first and
    kept only for commands that take one (`digest` and channel settings keep their text).
    """
    text = clean_line(text).strip()
    text = re.sub(r"^[/!]", "", text)
    if not text.rstrip(" ?"):
        return Question(Cmd.HELP.value, "")
    topic_text, window = split_window(text)
    if window is not None and topic_text:
        asked = _parse_command(topic_text, registry)
        spec = registry.get(asked.command)
        if spec is not None and spec.windowed:
            return Question(asked.command, asked.topic, window, asked.corrections)
    return _parse_command(text, registry)


#: Greetings and courtesy around a question carry no command or topic.
_COURTESY_HEAD = re.compile(r"^(?:(?:hey|hi|hello|ok|okay|so)\b[,!]?\s+|(?:please|pls|kindly)\s+"
                            r"|(?:can|could|would|will)\s+you\s+(?:please\s+)?)+", re.IGNORECASE)
_COURTESY_TAIL = re.compile(r"(?:[,!]?\s+(?:please|pls|thanks|thank\s+you))+[.!]*$", re.IGNORECASE)


def _parse_command(text: str, registry: Registry) -> Question:
    text = _COURTESY_TAIL.sub("", _COURTESY_HEAD.sub("", text)) or text
    bare = text.rstrip(" ?")  # "who is ?" asks who, not about "?"
    if not bare:
        return Question(Cmd.HELP.value, "")
    found = _match(bare, bare, registry)
    if found is not None:
        return Question(*found)
    corrected, fixes = correct_leading_words(bare, _vocabulary(registry))
    if fixes:
        # the cue words as corrected, the topic as typed ("latst on the real deal")
        found = _match(corrected, bare, registry)
        if found is not None:
            return Question(*found, corrections=fixes)
    head = corrected.split(" ", 1)[0].lower()
    if head in registry:
        return Question(head, _tidy(bare.partition(" ")[2]), corrections=fixes[:1])
    return Question(Cmd.LATEST.value, _tidy(bare))


def _match(text: str, typed: str, registry: Registry) -> tuple[str, str] | None:
    """(command, topic) by the first rule `text` matches; topic words are taken from
    `typed`, the same words before any typo correction (corrections keep word positions)."""
    for command, pattern in _GRAMMAR:
        m = pattern.match(text)
        if m and command in registry:
            if "x" in m.groupdict():
                about = _typed(m, "y", typed)
                topic = _tidy(_typed(m, "x", typed)) + (f" about {_tidy(about)}" if about else "")
                return command.value, topic
            return command.value, _tidy(_typed(m, "t", typed))
    return None


def _typed(m: re.Match[str], group: str, typed: str) -> str:
    if m.groupdict().get(group) is None:  # a rule without this group, or it did not take part
        return ""
    first = m.string[:m.start(group)].count(" ")
    return " ".join(typed.split(" ")[first:first + m.group(group).count(" ") + 1])


def _tidy(topic: str) -> str:
    return topic.strip().rstrip(" ?!.,;:").strip()


def _vocabulary(registry: Registry) -> frozenset[str]:
    return _CUE_WORDS | {spec.name for spec in registry}


def correct_leading_words(text: str, vocabulary: Iterable[str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Correct the run of cue words a question opens with ("latst on", "whoo is"),
    stopping at the first word that is no cue word even after correction: the topic."""
    vocab = sorted(set(vocabulary))
    words = text.split(" ")
    fixes: list[tuple[str, str]] = []
    for i, word in enumerate(words):
        core = _TOKEN_EDGE.sub("", word).lower()
        if not core or core in vocab:
            continue
        best = _closest(core, vocab)
        if best is None:
            break
        words[i] = word.lower().replace(core, best)
        fixes.append((core, best))
    return " ".join(words), tuple(fixes)


def _closest(word: str, vocab: list[str]) -> str | None:
    """The one vocabulary word within the typo allowance of `word`, if exactly one is nearest."""
    limit = allowed_edits(word)
    if limit == 0:  # a short word: only a swap of two letters ("hwo") is read as a typo
        swapped = [w for w in vocab if len(w) == len(word) and sorted(w) == sorted(word)
                   and edit_distance(word, w) == 1]
        return swapped[0] if len(swapped) == 1 else None
    scored = sorted((d, w) for w in vocab
                    if abs(len(w) - len(word)) <= limit and (d := edit_distance(word, w)) <= limit)
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def allowed_edits(word: str) -> int:
    """Typos tolerated in a word: none in short words (too many are one edit apart), one
    up to six letters, two beyond."""
    n = len(word)
    return 0 if n <= 3 else 1 if n <= 6 else 2


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
    substitutions and swaps of neighbours ("teh") each cost one."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]
