"""`help`: what the bot can do, generated from the registry so it never goes stale."""

from __future__ import annotations

from bot.core import Reply, ReplyKind, Request, Section
from bot.registry import registry
from bot.services import Services

_EXAMPLES = (
    "latest on Budapest summit",
    "who is Steve Witkoff",
    "timeline of the Alaska summit",
    "sources for Tomahawk missiles",
    "what did Zelensky say about the Budapest summit",
    "any news on Putin this week",
)


@registry.command("help", "Show what briefbot can do", usage="help")
async def help_command(req: Request, services: Services) -> Reply:
    lines = []
    # Slack has no Manage Channels permission; its adapter applies its own rule.
    needs = ("workspace admins and the channel's creator only" if req.platform == "slack"
             else "needs Manage Channels")
    for spec in services.registry:
        lock = f" ({needs})" if spec.requires_manage else ""
        lines.append(f"• {spec.usage} — {spec.description}{lock}")
    examples = "\n".join(f"• {e}" for e in _EXAMPLES)
    return Reply(
        title="briefbot help",
        sections=(
            Section.note("\n".join(lines), heading="Commands"),
            Section.note(examples + "\nA time window (“today”, “since Monday”, “in the last 3 "
                    "days”, “in October”) limits the articles an answer draws from, in slash "
                    "commands too. Every sentence in an answer is quoted from a source cited "
                    "as [n]; the sources are listed under the answer.",
                    heading="Ask in plain words, in a DM or by mentioning the bot"),
        ),
        kind=ReplyKind.HELP,
    )
