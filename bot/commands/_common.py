"""What the topic commands share: resolving a topic and saying "no coverage" helpfully."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.citations import Citations
from bot.core import Claim, Reply, ReplyKind, Section
from bot.index.rows import Coverage, Topic, TopicKind

if TYPE_CHECKING:  # pragma: no cover
    from bot.questions import Window
    from bot.services import Services
    from summarizer.types import Sentence

#: Passing mentions shown when no article is about a topic.
MAX_PASSING = 6

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
    kept = set(await asyncio.to_thread(within, services, topic.article_ids, window))
    return replace(topic, article_ids=[a for a in topic.article_ids if a in kept],
                   about_ids=[a for a in topic.about_ids if a in kept],
                   passing_ids=[a for a in topic.passing_ids if a in kept])


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


def naming_sentence_ids(index, topic: Topic, article_ids: list[int]) -> set[int]:
    """Sentences of these articles that name the topic itself ("the Alaska summit
    exposed...", "Zelensky said...", "…Tomahawk missiles…")."""
    if topic.kind == TopicKind.EVENT and topic.event is not None:
        return index.mentioning_sentence_ids("event", topic.event.id, article_ids)
    if topic.kind == TopicKind.ENTITY and topic.entity is not None:
        return index.mentioning_sentence_ids("entity", topic.entity.id, article_ids)
    if topic.kind == TopicKind.TEXT:
        return index.text_sentence_ids(topic.name, article_ids)
    return set()


def answer_or_decline(services: Services, topic: Topic, asked: str,
                      window: Window | None = None) -> Reply | None:
    """The reply when nothing is *about* the topic (passing mentions, or no coverage);
    None when there is something to brief on."""
    if topic.coverage is Coverage.ABOUT:
        return None
    if topic.coverage is Coverage.PASSING:
        return passing_mentions(services, topic)
    return no_coverage(services, asked, window)


def passing_mentions(services: Services, topic: Topic) -> Reply:
    """No article is about the topic: say so, and show where it is mentioned, cited, so the
    reader can judge (newest first, one sentence per article)."""
    cites = Citations(services.index)
    claims = naming_claims(services.index, cites, topic, topic.passing_ids[:MAX_PASSING])
    if not claims:
        return no_coverage(services, topic.name)
    n = len(topic.passing_ids)
    note = (f"No article is about “{topic.name}”; {n} mention{'s' if n != 1 else ''} it in passing"
            + (f", the newest {len(claims)} here:" if n > len(claims) else ":"))
    return Reply(sections=(Section.lines(claims, heading=note),),
                 title=f"Only passing mentions of {topic.name}", sources=cites.sources(),
                 kind=ReplyKind.PASSING_MENTIONS)


def naming_claims(index, cites: Citations, topic: Topic, article_ids: list[int]) -> list[Claim]:
    """The first sentence naming the topic in each of these articles, cited, in their order."""
    named = naming_sentence_ids(index, topic, article_ids)
    first: dict[int, Sentence] = {}
    for s in index.sentences(article_ids):
        if s.id in named and s.article_id not in first:
            first[s.article_id] = s
    return [cites.claim(first[a]) for a in article_ids if a in first]


def date_label(row) -> str:
    return row.published.strftime("%d %b %Y") if row.published else "date unknown"
