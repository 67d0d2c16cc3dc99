"""The article: what every source (files, feeds, URLs) is turned into before indexing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Article:
    """One story, cleaned of boilerplate, ready to be deduplicated and indexed."""

    title: str
    #: Cleaned body; paragraphs separated by "\n".
    text: str
    publisher: str | None = None
    #: Timezone-aware UTC, or None when no date could be found (shown as unknown).
    published: datetime | None = None
    url: str | None = None
    #: Where it came from: "seeds/000_f41f.txt", with "#2" for the 2nd story split out of a page.
    origin: str = ""
    #: How `published` was found: "metadata", "text", "relative" or "unknown".
    date_source: str = "unknown"
    #: Extra identifiers that guard against duplicates (feed GUID, canonical link...).
    keys: list[str] = field(default_factory=list)
    #: Who it belongs to: "" the operator's base corpus (seeds, CLI), else the workspace
    #: whose feed or `/ingest` brought it ("discord:<guild>", "slack:<team>"; bot.workspaces).
    workspace: str = ""


@dataclass
class Rejected:
    """An input that produced no article, and why, in words a user understands."""

    path: str
    reason: str
