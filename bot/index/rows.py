"""What the index hands back: plain dataclasses, no database handles inside."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum


@dataclass
class AddResult:
    status: str  # "stored" | "duplicate"
    article_id: int
    duplicate_of: int | None = None


@dataclass
class SourceRef:
    """One publisher/page that carried a story (a merged duplicate keeps every one)."""

    publisher: str | None
    url: str | None
    origin: str
    title: str


@dataclass
class ArticleRow:
    id: int
    title: str
    text: str
    publisher: str | None
    published: datetime | None
    url: str | None
    origin: str
    date_source: str
    added_at: datetime
    sources: list[SourceRef] = field(default_factory=list)


@dataclass
class EntityRow:
    id: int
    name: str
    type: str  # PERSON / ORG / GPE / LOC / NORP / EVENT / FAC
    aliases: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)  # newest first
    mentions: int = 0


@dataclass
class EventRow:
    id: int
    name: str  # "Budapest summit"
    kind: str  # summit / meeting / talks / call / strike
    place: str | None
    aliases: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)  # newest first


@dataclass(frozen=True)
class PruneResult:
    """What one retention pass did."""

    articles: int = 0
    sentences: int = 0
    bytes_reclaimed: int = 0

    def __add__(self, other: PruneResult) -> PruneResult:
        return PruneResult(self.articles + other.articles, self.sentences + other.sentences,
                           self.bytes_reclaimed + other.bytes_reclaimed)


@dataclass(frozen=True)
class MaintainResult:
    """File size in bytes before and after `Index.maintain`, and whether it ran VACUUM."""

    bytes_before: int
    bytes_after: int
    vacuumed: bool


@dataclass(frozen=True)
class IndexStats:
    articles: int
    publishers: int
    entities: int
    events: int
    newest: datetime | None


class TopicKind(StrEnum):
    """What a user's topic turned out to be."""

    EVENT = "event"
    ENTITY = "entity"
    TEXT = "text"
    NONE = "none"


class Coverage(StrEnum):
    """How the index covers a topic: articles about it, only passing mentions, or nothing."""

    ABOUT = "about"
    PASSING = "passing"
    NONE = "none"


@dataclass
class Topic:
    kind: TopicKind
    name: str
    #: Every article that names the topic, newest first (text: by relevance).
    article_ids: list[int] = field(default_factory=list)
    entity: EntityRow | None = None
    event: EventRow | None = None
    #: Articles about the topic, most about first, then newest (see bot/index/aboutness.py).
    about_ids: list[int] = field(default_factory=list)
    #: Articles that only mention it in passing, newest first.
    passing_ids: list[int] = field(default_factory=list)

    @property
    def coverage(self) -> Coverage:
        if self.about_ids:
            return Coverage.ABOUT
        return Coverage.PASSING if self.passing_ids else Coverage.NONE


def iso_utc(dt: datetime) -> str:
    """How the index stores a time: ISO 8601 in UTC (naive means UTC), so that comparing the
    stored text orders the times, in SQL as in Python."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat()
