"""`digest`: the period's top stories; `digest now` posts this channel's digest; `digest preview`.

- `digest` — the top stories of the last 24 hours (or of the 24 hours up to the
  newest article when the corpus is older), one card each. Records nothing.
- `digest now` — this channel's digest at once, claimed in the digest log like a
  scheduled one (once per local day: asking twice, or a platform retrying the
  request, never posts twice). The scheduled digest still comes, with what is
  new since.
- `digest preview` — what this channel's next digest would say, shown only to you.
"""

from __future__ import annotations

import asyncio

from bot.core import Reply, ReplyKind, Request, UserError
from bot.digests.compose import channel_digest, period_digest
from bot.digests.manage import open_store, with_defaults
from bot.digests.runner import DigestRunner, Outcome
from bot.registry import registry
from bot.services import Services

MODES = ("now", "preview")


class _ReplyPoster:
    """Hands the digest back as the command's own reply (CLI, or no platform connection)."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.reply: Reply | None = None

    async def post(self, channel_id: str, reply: Reply) -> str:
        self.reply = reply
        return f"reply:{channel_id}"


@registry.command("digest", "Top stories; `now` posts this channel's digest, `preview` shows it to you",
                  arg="mode", arg_description="empty for the top stories, `now` or `preview`",
                  usage="digest | digest now | digest preview", writes=True)
async def digest(req: Request, services: Services) -> Reply:
    mode = req.text.strip().lower()
    if not mode:
        return await asyncio.to_thread(period_digest, services, services.clock())
    if mode not in MODES:
        raise UserError(f"“{req.text[:30]}” is not a digest option; use `digest`, "
                        "`digest now` or `digest preview`.")
    if not req.channel_id:
        raise UserError(f"`digest {mode}` works in a channel or a direct message.")
    if mode == "preview":
        return await asyncio.to_thread(_preview, services, req)
    return await _now(services, req)


def _preview(services: Services, req: Request) -> Reply:
    with open_store(services) as store:
        sub = with_defaults(store, req.platform, req.channel_id, services.settings)
        draft = channel_digest(services, store, sub, services.clock())
    r = draft.reply
    return Reply(sections=r.sections, title=f"Preview (only you see this) · {r.title}",
                 sources=r.sources, ephemeral=True, kind=r.kind)


async def _now(services: Services, req: Request) -> Reply:
    from bot.scheduler import active_scheduler

    scheduler = active_scheduler(services)
    if scheduler is not None and req.platform in scheduler.platforms:
        sub = await asyncio.to_thread(with_defaults, scheduler.store, req.platform,
                                      req.channel_id, services.settings)
        return _ack(await scheduler.run_now(sub))
    # No platform connection here (the CLI, a test): the digest is this command's reply.
    poster = _ReplyPoster(req.platform)
    with open_store(services) as store:
        sub = await asyncio.to_thread(with_defaults, store, req.platform, req.channel_id,
                                      services.settings)
        outcome = await DigestRunner(services, store, {}).run_now(sub, poster=poster)
    if outcome.status == "sent" and poster.reply is not None:
        return poster.reply
    return _ack(outcome)


def _ack(outcome: Outcome) -> Reply:
    """What the person who asked sees (the digest itself went to the channel)."""
    texts = {
        "sent": "Posted today's digest in this channel.",
        "silent": "Nothing new since the last digest; this channel asked for silence on "
                  "such days, so nothing was posted.",
        "taken": _taken(outcome),
        "uncertain": "The digest may or may not have reached this channel (the answer got "
                     "lost); briefbot will look for it before it ever posts it again.",
        "failed": f"Posting the digest failed: {outcome.error}."
                  + (f" It will be retried at {outcome.retry_at:%H:%M} UTC." if outcome.retry_at
                     else ""),
    }
    text = texts.get(outcome.status, f"No digest posted ({outcome.status}).")
    kind = ReplyKind.ERROR if outcome.status == "failed" else ReplyKind.ANSWER
    return Reply.plain(text, title="Digest", kind=kind, ephemeral=True)


def _taken(outcome: Outcome) -> str:
    status = outcome.row.status if outcome.row else "sent"
    done = {"claimed": "is being posted right now",
            "sending": "is being posted right now",
            "uncertain": "may already be here (its delivery is being checked)",
            "empty": "was already asked for today (there was nothing new)",
            "failed": "failed a moment ago"}.get(status, "was already posted on request today")
    return (f"This channel's digest {done}; the scheduled digest still comes. "
            "`digest preview` shows what is new since.")
