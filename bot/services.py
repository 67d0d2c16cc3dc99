"""The dependencies a command needs, passed in explicitly so tests can swap them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.config import Settings

from bot.scopes import MemberStore
from bot.workspaces import Scope

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

    #: Which workspaces each chat user has used the bot in (DM scopes; bot.scopes).
    members: MemberStore = None  # type: ignore[assignment]  # set from settings below
    #: The services this one was made from by `seen_from` (None: this is the original).
    root: Services | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.jobs is None:
            from bot.jobs.runner import JobRunner

            self.jobs = JobRunner(self)
        if self.members is None:
            self.members = MemberStore(self.settings.database)

    def seen_from(self, scope: Scope) -> Services:
        """The same services with the index read within `scope` (one request's view)."""
        return replace(self, index=self.index.scoped(scope), root=self.origin)

    @property
    def origin(self) -> Services:
        """The original services (what the scheduler and other long-lived parts hold)."""
        return self.root or self

    def close(self) -> None:
        """Close the index, the jobs' connection and the member store, and end the feed
        worker's process."""
        self.feed_worker.close()
        self.jobs.close()
        self.members.close()
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
