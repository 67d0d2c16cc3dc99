"""`sources <topic>`: which articles the bot holds on a topic, so a reader can check them."""

from __future__ import annotations

import asyncio

from bot.citations import Citations, newest_first, publishers
from bot.commands._common import date_label, no_coverage, resolve
from bot.core import Claim, Reply, Request, Section
from bot.registry import registry
from bot.services import Services

MAX_LISTED = 15


@registry.command("sources", "List the articles held on a topic, newest first",
                  arg="topic", arg_description="A topic, person or event", arg_required=True,
                  usage="sources Alaska summit", windowed=True)
async def sources(req: Request, services: Services) -> Reply:
    topic = await resolve(services, req.text, req.window)
    if topic.kind == "none" or not topic.article_ids:
        return no_coverage(services, req.text, req.window)
    # the CLI may ask for more (--limit N) or all (--all: None); chat lists MAX_LISTED
    limit = req.extra.get("limit", MAX_LISTED) if req.platform == "console" else MAX_LISTED
    return await asyncio.to_thread(_list, services, topic, limit, req.platform == "console")


def _list(services: Services, topic, limit: int | None, cli: bool) -> Reply:
    rows = newest_first(services.index.articles(topic.article_ids))
    cites = Citations(services.index)
    lines = []
    shown = rows if limit is None else rows[:max(limit, 0)]
    for row in shown:
        n = cites.number(row.id)
        pubs = ", ".join(publishers(row)) or "publisher unknown"
        # Titles and links follow in the reply's source list; here, who carried it and when.
        lines.append(Claim(f"{pubs}, {date_label(row)}", (n,)))
    if len(shown) < len(rows):
        lines.append(Claim(f"Showing {len(shown)} of {len(rows)}"
                           + ("; --limit N or --all." if cli else f"; {len(rows) - len(shown)} more.")))
    heading = f"{len(rows)} article{'s' if len(rows) != 1 else ''} on {topic.name}"
    return Reply(title=f"Sources on {topic.name}", sections=(Section.lines(lines, heading=heading),),
                 sources=cites.sources())
