"""`ingest URL`: add one article page to the index, fetched safely."""

from __future__ import annotations

from bot.core import Reply, Request, UserError
from bot.index.rows import AddStatus
from bot.registry import registry
from bot.scopes import may_add_for
from bot.services import Services


#: What a DM is told when it tries to add to the index: it belongs to no workspace.
NO_WORKSPACE = ("Articles and feeds added in chat belong to the server or workspace they are "
                "added in; use this in one of its channels.")


@registry.command("ingest", "Add one article page (a URL) to the news index", arg="url",
                  arg_description="The article's http(s) address", arg_required=True,
                  requires_manage=True, usage="ingest https://example.com/news/story")
async def ingest(req: Request, services: Services) -> Reply:
    # imported here: aiohttp costs every cold `ask` ~0.2 s
    from bot.jobs.ingest import ingest_url_job

    owner = may_add_for(req)
    if owner is None:
        raise UserError(NO_WORKSPACE)
    done = await ingest_url_job(services, req.text, workspace=owner)
    return Reply.plain(done.text(), title="Article ingested" if done.status is AddStatus.STORED
                       else "Already held")
