"""Fakes and data for digest and scheduler tests: a clock you set, a platform peer that
records posts, and three days of dated articles (written for these tests).

The RecordingPoster stands for Discord/Slack on the far side of a Poster: it
keeps what would have appeared in each channel, and can be told to fail.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import Reply
from bot.digests.delivery import HistoryUnavailable, PartTag
from bot.ingest.model import Article


class ManualClock:
    """`services.clock`: returns the time the test set, moves only when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class RecordingPoster:
    """A platform that records posts; `fail_next` makes the next sends raise like a 503.

    It also speaks bot.digests.delivery: each digest part is kept with its tag in the
    channel's history (what `find_part` reads, unless `history_readable` is False),
    and with `one_part_per_section` a digest becomes one message per section.
    """

    def __init__(self, platform: str = "slack", *, fail_next: int = 0,
                 one_part_per_section: bool = False, history_readable: bool = True) -> None:
        self.platform = platform
        self.fail_next = fail_next
        self.one_part_per_section = one_part_per_section
        self.history_readable = history_readable
        self.posts: list[tuple[str, Reply]] = []
        self.tags: list[PartTag | None] = []  # parallel to posts
        self.attempts = 0
        #: The event loop each post ran on (a platform client works on its own loop only).
        self.loops: list = []
        self._lock = threading.Lock()

    async def post(self, channel_id: str, reply: Reply, tag: PartTag | None = None) -> str:
        with self._lock:
            self.loops.append(asyncio.get_running_loop())
            self.attempts += 1
            if self.fail_next:
                self.fail_next -= 1
                raise ConnectionError("platform answered HTTP 503")
            self.posts.append((channel_id, reply))
            self.tags.append(tag)
            return f"msg-{len(self.posts)}"

    async def split(self, channel_id: str, reply: Reply) -> list[Reply]:
        if not self.one_part_per_section or len(reply.sections) < 2:
            return [reply]
        return [Reply(sections=(s,), title=reply.title, sources=reply.sources, kind=reply.kind)
                for s in reply.sections]

    async def send_part(self, channel_id: str, part: Reply, tag: PartTag) -> str:
        return await self.post(channel_id, part, tag)

    async def find_part(self, channel_id: str, tag: PartTag, since: datetime) -> str | None:
        if not self.history_readable:
            raise HistoryUnavailable("no permission to read history")
        for i, ((channel, _), seen) in enumerate(zip(self.posts, self.tags, strict=True)):
            if channel == channel_id and seen == tag:
                return f"msg-{i + 1}"
        return None

    def texts(self, channel_id: str | None = None) -> list[str]:
        return [r.text for c, r in self.posts if channel_id in (None, c)]


def make_services(db_path: Path, encoder, clock, **settings_overrides):
    """Real Index, summarizer and commands on `db_path`, with a settable clock."""
    from bot.config import Settings
    from bot.index.store import Index
    from bot.registry import load_commands
    from bot.services import Services
    from summarizer import make_summarizer

    settings = Settings.load(env={}, dotenv=None, db_path=db_path, **settings_overrides)
    index = Index(db_path, settings, encoder=encoder)
    return Services(settings=settings, index=index, summarizer=make_summarizer(settings, encoder),
                    registry=load_commands(), clock=clock)


def article(title, publisher, day, hour, *paragraphs):
    return Article(title=title, text="\n".join(paragraphs), publisher=publisher,
                   published=datetime(2026, 7, day, hour, 0, tzinfo=UTC),
                   url=f"https://news.example/{publisher.lower().replace(' ', '-')}/{day}/{hour}",
                   origin=f"test/{publisher.lower()}-{day}-{hour}", date_source="metadata")


SUMMIT_BACKGROUND = ("Donald Trump and Vladimir Putin agreed during a two-hour phone call to meet "
                     "in Budapest to discuss ending the war in Ukraine.")

DAY1 = [
    article("Trump and Putin agree to hold summit in Budapest", "Reuters", 13, 9,
            SUMMIT_BACKGROUND,
            "Hungarian Prime Minister Viktor Orban said his government would host the talks "
            "and offered security guarantees for both delegations.",
            "No date has been set for the meeting, officials in Washington said."),
    article("Budapest chosen as venue for Trump-Putin meeting", "Associated Press", 13, 11,
            "The leaders of the United States and Russia will meet in the Hungarian capital, "
            "the Kremlin confirmed after a lengthy telephone conversation on Thursday.",
            "Kremlin aide Yuri Ushakov said preparations for the Budapest meeting would begin "
            "at the level of foreign ministers.",
            "Ukrainian President Volodymyr Zelensky is due in Washington on Friday."),
    article("Heatwave grips southern Europe as temperatures pass 44C", "BBC", 13, 8,
            "Spain, Italy and Greece issued red alerts on Sunday as a heatwave pushed "
            "temperatures above 44C in several cities.",
            "Firefighters in Greece battled dozens of wildfires near Athens, and the Acropolis "
            "was closed to visitors in the afternoon.",
            "Doctors urged elderly people to stay indoors during the hottest hours."),
]

DAY2 = [
    article("Budapest summit put on hold, White House says", "Reuters", 14, 10,
            "The White House said on Monday that the planned summit in Budapest had been put "
            "on hold after Russia rejected a ceasefire along the current front line.",
            SUMMIT_BACKGROUND,
            "Secretary of State Marco Rubio and Foreign Minister Sergei Lavrov cancelled a "
            "preparatory meeting that had been due this week."),
    article("Floods in Bangladesh force thousands from their homes", "The Guardian", 14, 7,
            "Monsoon floods in northern Bangladesh have forced more than 60,000 people from "
            "their homes, the disaster ministry said on Monday.",
            "Rivers in Sylhet and Sunamganj rose above danger levels after three days of "
            "torrential rain.",
            "Army units were deployed to evacuate villages cut off by the water."),
    article("Southern Europe swelters in heatwave", "Euronews", 14, 6,
            "Spain, Italy and Greece put out red alerts on Sunday as the heatwave pushed "
            "temperatures past 44C in several cities.",
            "Firefighters in Greece fought dozens of wildfires near Athens, and the Acropolis "
            "was shut to visitors in the afternoon."),
]

DAY3 = [
    article("Bangladesh flood death toll rises to 40", "Reuters", 15, 9,
            "At least 40 people have died in the floods in northern Bangladesh, officials said "
            "on Tuesday, as the waters began to recede in Sylhet.",
            "Monsoon floods in northern Bangladesh forced more than 60,000 people from their "
            "homes, the disaster ministry said.",
            "The government announced emergency food aid for 200,000 families."),
    article("European Central Bank raises interest rates to fight inflation", "Financial Times",
            15, 12,
            "The European Central Bank raised its main interest rate by a quarter point on "
            "Tuesday, its first increase in two years.",
            "ECB President Christine Lagarde said inflation in the eurozone remained too high "
            "for too long.",
            "Markets had widely expected the move, and the euro rose slightly against the "
            "dollar."),
    article("White House puts Budapest meeting on hold", "CNN", 15, 8,
            "The White House said the planned summit in Budapest had been put on hold after "
            "Russia refused a ceasefire along the current front line.",
            "Rubio and Lavrov called off a preparatory meeting that had been due this week."),
]
