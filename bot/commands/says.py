"""`says <person> [about <topic>]`: what someone said, in their own quoted words.

"What did Zelensky say" wants Zelensky's statements, not every sentence that names him.
The sentences in which he is the speaker ("Zelensky said", "said Zelensky", "according to
Zelensky", a quote followed by "he said") were found at ingest (bot.index.speakers);
this command only picks among them, newest first, each cited.
"""

from __future__ import annotations

import asyncio
import re

from bot.citations import Citations
from bot.commands._common import (date_label, naming_sentence_ids, no_coverage, resolve,
                                  tidy_topic, within)
from bot.core import Reply, ReplyKind, Request, Section
from bot.registry import registry
from bot.services import Services
from summarizer.lexical import query_overlap
from summarizer.types import Sentence

#: About six or seven statements, as for `latest`.
BUDGET_WORDS = 170
#: Statements share at least this much of an "about" topic's words to count as on it.
ON_TOPIC = 0.5

_ABOUT = re.compile(r"\s+about\s+", re.IGNORECASE)


@registry.command("says", "What someone said, in their own quoted words, with sources",
                  arg="person", arg_description="A person, optionally about a topic, e.g. "
                                                "Zelensky about Budapest summit",
                  arg_required=True, usage="says Zelensky about Budapest summit", windowed=True)
async def says(req: Request, services: Services) -> Reply:
    speaker, _, about = (part.strip() for part in _split_about(req.text))
    name = tidy_topic(speaker)
    entity = await asyncio.to_thread(services.index.entity, name)
    if entity is None:
        entity = (await resolve(services, name)).entity
    if entity is None:
        return no_coverage(services, name, req.window)
    ids = entity.article_ids
    if req.window is not None:
        ids = await asyncio.to_thread(within, services, ids, req.window)
        if not ids:
            return no_coverage(services, entity.name, req.window)
    about_topic = await resolve(services, about) if about else None
    return await asyncio.to_thread(_statements, services, entity, ids, tidy_topic(about),
                                   about_topic, req)


def _split_about(text: str) -> tuple[str, str, str]:
    parts = _ABOUT.split(text, maxsplit=1)
    return (parts[0], "about", parts[1]) if len(parts) == 2 else (text, "", "")


def _statements(services: Services, entity, ids: list[int], about: str,
                about_topic, req: Request) -> Reply:
    index = services.index
    spoken = index.statement_ids(entity.id, ids)
    sentences = [s for s in index.sentences(ids) if s.id in spoken]
    if not sentences:
        return _silent(entity, len(ids), req)
    if about:
        # on Y: the statement names Y (any alias of a known person or event), or uses its words
        naming = naming_sentence_ids(index, about_topic, ids) if about_topic is not None else set()
        overlap = query_overlap(about, [s.text for s in sentences])
        on_topic = [s for s, o in zip(sentences, overlap, strict=True)
                    if s.id in naming or o >= ON_TOPIC]
        if not on_topic:
            return Reply.plain(
                f"I have {len(sentences)} statement{'s' if len(sentences) != 1 else ''} by "
                f"{entity.name}, but none about “{about}”. Try `says {entity.name}`.",
                title=f"{entity.name} on {about}", kind=ReplyKind.NO_COVERAGE)
        sentences = on_topic
    rows = {r.id: r for r in index.articles(list(dict.fromkeys(s.article_id for s in sentences)))}
    # newest article first, each article's statements in reading order, up to the budget:
    # every one is already what the person said, so recency decides, not similarity
    def newest_first(s: Sentence) -> tuple[float, int, int]:
        published = rows[s.article_id].published
        return (-published.timestamp() if published else float("inf"), s.article_id, s.position)

    sentences.sort(key=newest_first)
    chosen: list[Sentence] = []
    words = 0
    for s in sentences:
        n = len(s.text.split())
        if chosen and words + n > BUDGET_WORDS:
            continue
        chosen.append(s)
        words += n
    cites = Citations(index)  # numbers sources in the order the reader meets them
    claims = cites.claims(chosen)
    newest = next((rows[s.article_id] for s in chosen if rows[s.article_id].published), None)
    note = f"{len(chosen)} of {len(sentences)} statement{'s' if len(sentences) != 1 else ''}"
    if newest is not None:
        note += f", newest {date_label(newest)}"
    title = f"What {entity.name} said" + (f" about {about}" if about else "")
    return Reply(title=title, sections=(Section.cited(claims, heading=note + "."),),
                 sources=cites.sources())


def _silent(entity, articles: int, req: Request) -> Reply:
    """Named, but never quoted: say so and point at `latest`, which reads every mention."""
    return Reply.plain(
        f"{entity.name} is named in {articles} article{'s' if articles != 1 else ''}"
        f"{' in that time' if req.window else ''}, but none quotes them or says what they "
        f"said. Try `latest {entity.name}`.",
        title=f"No statements by {entity.name}", kind=ReplyKind.NO_COVERAGE)
