"""The dependencies a command needs, passed in explicitly so tests can swap them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:  # pragma: no cover
    from bot.core import Registry
    from bot.feeds.worker import FeedWorker
    from bot.index.store import Index
    from bot.jobs.runner import JobRunner
    from summarizer.types import Summarizer


def utcnow() -> datetime:
    return datetime.now(UTC)


def _feed_worker() -> FeedWorker:
    from bot.feeds.worker import FeedWorker

    return FeedWorker()


@dataclass
class Services:
    settings: Settings
    index: Index
    summarizer: Summarizer
    registry: Registry
    #: The time "now"; tests set it to make digests and "latest" exact.
    clock: Callable[[], datetime] = field(default=utcnow)
    #: The child process that parses feeds and cleans their items (started on first use).
    feed_worker: FeedWorker = field(default_factory=_feed_worker)
    #: This process's ingest jobs: queues work, takes it, waits for outcomes (bot.jobs).
    #: Made here once, so copies of these services (dataclasses.replace) share it.
    jobs: JobRunner = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.jobs is None:
            from bot.jobs.runner import JobRunner

            self.jobs = JobRunner(self)

    def close(self) -> None:
        """Close the index and the jobs' connection, and end the feed worker's process."""
        self.feed_worker.close()
        self.jobs.close()
        self.index.close()


def build_services(settings: Settings) -> Services:
    """Open the index and load the summarizer and commands named by `settings`."""
    from bot.index.store import Index
    from bot.registry import load_commands
    from summarizer import make_summarizer

    index = Index(settings.database, settings)
    return Services(settings=settings, index=index,
                    summarizer=make_summarizer(settings, index.encoder),
                    registry=load_commands())
