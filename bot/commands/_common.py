"""What the topic commands share: resolving a topic and saying "no coverage" helpfully."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from bot.core import Reply, ReplyKind, Section

if TYPE_CHECKING:  # pragma: no cover
    from bot.index.store import Topic
    from bot.services import Services

_LEADING = re.compile(r"^(?:the|a|an|on|about|of|for)\s+", re.I)


def tidy_topic(text: str) -> str:
    """"the Alaska summit?" -> "Alaska summit": articles and question marks carry no topic."""
    text = text.strip().strip("?!.").strip()
    while True:
        shorter = _LEADING.sub("", text)
        if shorter == text:
            return text
        text = shorter


async def resolve(services: Services, text: str) -> Topic:
    return await asyncio.to_thread(services.index.resolve_topic, tidy_topic(text))


def no_coverage(services: Services, topic_text: str) -> Reply:
    """Say plainly that nothing is known, and offer the nearest names that are."""
    shown = tidy_topic(topic_text) or topic_text
    near = services.index.suggest(shown, 5)
    body = f"No coverage of “{shown}” in the articles I have."
    if near:
        body += " Nearest known: " + ", ".join(near) + "."
    elif services.index.is_empty():
        body += " Ingest some articles first: `briefbot ingest PATH`."
    elif known := services.index.most_covered(3):  # somewhere to start
        body += " Most covered: " + ", ".join(known) + "."
    return Reply(sections=(Section.note(body),), title=f"No coverage of {shown}",
                 kind=ReplyKind.NO_COVERAGE)


def naming_sentence_ids(index, topic, article_ids: list[int]) -> set[int]:
    """Sentences of these articles that name the event or entity itself ("the Alaska
    summit exposed...", "Zelensky said..."); empty for a free-text topic."""
    if topic.kind == "event" and topic.event is not None:
        return index.mentioning_sentence_ids("event", topic.event.id, article_ids)
    if topic.kind == "entity" and topic.entity is not None:
        return index.mentioning_sentence_ids("entity", topic.entity.id, article_ids)
    return set()


def date_label(row) -> str:
    return row.published.strftime("%d %b %Y") if row.published else "date unknown"
