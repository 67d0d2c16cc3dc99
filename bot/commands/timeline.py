"""`timeline <topic>`: dated entries, oldest first, one cited sentence per article.

The date of an entry is the article's publication date; articles with no known
date are listed apart rather than given an invented one.
"""

from __future__ import annotations

import asyncio

import numpy as np

from bot.citations import Citations
from bot.commands._common import no_coverage, resolve, tidy_topic
from bot.core import Reply, Request, Section
from bot.registry import registry
from bot.services import Services

MAX_ENTRIES = 12
#: Entries this similar to an earlier one say nothing new and are skipped.
REPEAT_SIMILARITY = 0.85
#: Lead sentences carry the news; a small bonus breaks near-ties towards them.
LEAD_BONUS = 0.04


@registry.command("timeline", "Dated entries on a topic, oldest first, each cited",
                  arg="topic", arg_description="A topic, person or event, e.g. Alaska summit",
                  arg_required=True, usage="timeline Alaska summit")
async def timeline(req: Request, services: Services) -> Reply:
    topic = await resolve(services, req.text)
    if topic.kind == "none" or not topic.article_ids:
        return no_coverage(services, req.text)
    return await asyncio.to_thread(_timeline, services, topic, tidy_topic(req.text))


def _timeline(services: Services, topic, asked: str) -> Reply:
    index = services.index
    query = topic.name if topic.kind in {"event", "entity"} else asked
    q = index.encoder.encode([query])[0]
    rows = index.articles(topic.article_ids)
    dated = sorted((r for r in rows if r.published), key=lambda r: r.published)
    undated = [r for r in rows if not r.published]
    cites = Citations(index)
    chosen: list[np.ndarray] = []
    by_day: dict[str, list[str]] = {}
    loose: list[str] = []
    for row in dated + undated:
        best = _best_sentence(index.sentences([row.id]), q, chosen)
        if best is None:
            continue
        chosen.append(best.embedding)
        line = cites.cite(best)
        if row.published:
            by_day.setdefault(f"{row.published:%d %b %Y}", []).append(line)
        else:
            loose.append(line)
        if len(chosen) >= MAX_ENTRIES:
            break
    if not chosen:
        return no_coverage(services, asked)
    sections = [Section("\n".join(lines), heading=day) for day, lines in by_day.items()]
    if loose:
        sections.append(Section("\n".join(loose), heading="Date unknown"))
    return Reply(title=f"Timeline of {topic.name}", sections=tuple(sections),
                 sources=cites.sources())


def _best_sentence(sentences, q: np.ndarray, chosen: list[np.ndarray]):
    best, best_score = None, -1.0
    for s in sentences:
        if s.embedding is None or len(s.text.split()) < 6:
            continue
        if any(float(s.embedding @ c) > REPEAT_SIMILARITY for c in chosen):
            continue
        score = float(s.embedding @ q) + (LEAD_BONUS if s.position < 3 else 0.0)
        if score > best_score:
            best, best_score = s, score
    return best
