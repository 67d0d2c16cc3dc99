"""`sources <topic>`: which articles the bot holds on a topic, so a reader can check them."""

from __future__ import annotations

import asyncio

from bot.citations import Citations, publishers
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
    index = services.index
    ordered = _newest_first_ids(index, topic.article_ids)
    shown = index.articles(ordered if limit is None else ordered[:max(limit, 0)])
    cites = Citations(index)
    cites.know(shown)
    lines = []
    for row in shown:
        n = cites.number(row.id)
        pubs = ", ".join(publishers(row)) or "publisher unknown"
        # Titles and links follow in the reply's source list; here, who carried it and when.
        lines.append(Claim(f"{pubs}, {date_label(row)}", (n,)))
    total = len(ordered)
    if len(shown) < total:
        lines.append(Claim(f"Showing {len(shown)} of {total}"
                           + ("; --limit N or --all." if cli else f"; {total - len(shown)} more.")))
    heading = f"{total} article{'s' if total != 1 else ''} on {topic.name}"
    return Reply(title=f"Sources on {topic.name}", sections=(Section.lines(lines, heading=heading),),
                 sources=cites.sources())


def _newest_first_ids(index, article_ids: list[int]) -> list[int]:
    """The topic's articles in `newest_first` order, from their dates alone: only the
    rows shown are loaded, however many articles a busy name has."""
    ids = list(dict.fromkeys(article_ids))
    dates = index.publication_dates(ids)
    known = [a for a in ids if a in dates]
    dated = sorted((a for a in known if dates[a]), key=lambda a: dates[a], reverse=True)
    return dated + [a for a in known if not dates[a]]
