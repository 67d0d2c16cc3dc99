"""Fakes for digest and scheduler tests: a clock you set, and a platform peer that records posts.

The RecordingPoster stands for Discord/Slack on the far side of a Poster: it
keeps what would have appeared in each channel, and can be told to fail.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

from bot.core import Reply


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
    """A platform that records posts; `fail_next` makes the next sends raise like a 503."""

    def __init__(self, platform: str = "slack", *, fail_next: int = 0) -> None:
        self.platform = platform
        self.fail_next = fail_next
        self.posts: list[tuple[str, Reply]] = []
        self.attempts = 0
        self._lock = threading.Lock()

    async def post(self, channel_id: str, reply: Reply) -> str:
        with self._lock:
            self.attempts += 1
            if self.fail_next:
                self.fail_next -= 1
                raise ConnectionError("platform answered HTTP 503")
            self.posts.append((channel_id, reply))
            return f"msg-{len(self.posts)}"

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
