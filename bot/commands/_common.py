"""What the topic commands share: resolving a topic and saying "no coverage" helpfully."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core import Reply, ReplyKind, Section

if TYPE_CHECKING:  # pragma: no cover
    from bot.index.store import Topic
    from bot.questions import Window
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


async def resolve(services: Services, text: str, window: Window | None = None) -> Topic:
    """The topic a user means, with only the articles published in `window` (if asked):
    the one place where a question's time window limits what an answer draws from."""
    topic = await asyncio.to_thread(services.index.resolve_topic, tidy_topic(text))
    if window is None or not topic.article_ids:
        return topic
    kept = await asyncio.to_thread(within, services, topic.article_ids, window)
    return replace(topic, article_ids=kept)


def within(services: Services, article_ids: list[int], window: Window) -> list[int]:
    """The articles published in the window, in the order given; undated ones are left out
    (nothing says when they appeared)."""
    now = services.clock()
    dates = services.index.publication_dates(article_ids)
    return [a for a in article_ids if window.holds(dates.get(a), now)]


def no_coverage(services: Services, topic_text: str, window: Window | None = None) -> Reply:
    """Say plainly that nothing is known, and offer the nearest names that are."""
    shown = tidy_topic(topic_text) or topic_text
    if window is not None:
        outside = _outside_window(services, shown)
        if outside:
            return Reply(sections=(Section.note(
                f"No coverage of “{shown}” {window.describe(services.clock())}. {outside}"),),
                title=f"No coverage of {shown} {window.spoken}", kind=ReplyKind.NO_COVERAGE)
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


def _outside_window(services: Services, shown: str) -> str:
    """What the index holds on the topic at other times, so the reader knows to widen."""
    topic = services.index.resolve_topic(shown)
    if topic.kind == "none" or not topic.article_ids:
        return ""
    dates = [d for d in services.index.publication_dates(topic.article_ids).values() if d]
    count = len(topic.article_ids)
    told = f"I have {count} article{'s' if count != 1 else ''} on it at other times"
    if dates:
        told += f", the newest from {max(dates):%d %b %Y}"
    return told + "; ask without the time window to see them."


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
