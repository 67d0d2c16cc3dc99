"""`feeds list | add URL | remove ID | resume ID`: the feeds the bot follows.

Anyone may list; adding, removing and resuming change what every channel of the
server or workspace draws on, so they need Manage Channels, checked here per action
because one command carries them all. A workspace lists and changes only its own feeds,
and what they bring only its own answers (bot.scopes); the console sees every feed.
"""

from __future__ import annotations

from bot.core import Reply, ReplyKind, Request, Section, UserError
from bot.commands.ingest import NO_WORKSPACE
from bot.registry import registry
from bot.scopes import CHAT_PLATFORMS, may_add_for, workspace_of
from bot.services import Services

_CHANGES = {"add", "remove", "resume"}
_ALIASES = {"ls": "list", "rm": "remove", "delete": "remove", "del": "remove", "follow": "add"}


@registry.command("feeds", "Follow RSS/Atom feeds: list, add URL, remove ID, resume ID",
                  arg="action", arg_description="list | add URL | remove ID | resume ID",
                  usage="feeds add https://example.com/rss", writes=True)
async def feeds(req: Request, services: Services) -> Reply:
    from bot.feeds import service  # imported here: aiohttp costs every cold `ask` ~0.2 s

    word, _, rest = req.text.strip().partition(" ")
    action = _ALIASES.get(word.lower(), word.lower()) or "list"
    rest = rest.strip()
    if action not in _CHANGES | {"list"}:
        raise UserError(f"Unknown feeds action “{word[:30]}”: use `feeds list`, "
                        "`feeds add URL`, `feeds remove ID` or `feeds resume ID`.")
    if action in _CHANGES and not req.can_manage:
        return Reply.plain(f"`feeds {action}` changes the feeds this workspace's news comes "
                           "from, so it needs the Manage Channels permission.",
                           kind=ReplyKind.FORBIDDEN, ephemeral=True)
    if action in _CHANGES and not rest:
        what = "a feed URL" if action == "add" else "a feed number or URL (see `feeds list`)"
        raise UserError(f"`feeds {action}` needs {what}.")
    # a workspace sees and changes its own feeds only; the console (the operator) all of them
    owner = may_add_for(req)
    mine = workspace_of(req) if req.platform in CHAT_PLATFORMS or owner else None
    if action == "list":
        return await _list(services, mine)
    if owner is None:
        raise UserError(NO_WORKSPACE)
    if action == "add":
        who = f"{req.platform}:{req.user_id}" if req.user_id else req.platform
        # The channel asked from hears about it if the feed is paused after repeated failures.
        added = await service.add_feed(services, rest, added_by=who,
                                       notify_platform=req.platform if req.channel_id else None,
                                       notify_channel=req.channel_id or None, workspace=owner)
        return Reply.plain(added.text(), title="Feed added")
    if action == "remove":
        return Reply.plain(service.removed_text(
            await service.remove_feed(services.settings, rest, mine)), title="Feed removed")
    return Reply.plain(service.resumed_text(
        await service.resume_feed(services.settings, rest, mine)), title="Feed resumed")


async def _list(services: Services, workspace: str | None) -> Reply:
    from bot.feeds import service  # imported here: aiohttp costs every cold `ask` ~0.2 s

    rows = await service.list_feeds(services.settings, workspace)
    minutes = services.settings.feed_poll_minutes
    if not rows:
        return Reply.plain(service.list_text(rows, minutes), title="Feeds", kind=ReplyKind.EMPTY)
    sections = []
    for feed in rows:
        heading, body = service.describe_feed(feed, minutes, redact=True)
        sections.append(Section.note(body, heading=heading))
    return Reply(sections=tuple(sections), title=f"Feeds ({len(rows)})")
