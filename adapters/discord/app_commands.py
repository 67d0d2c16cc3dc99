"""Slash commands generated from the command registry, one per CommandSpec.

Nothing here names a command: whatever modules `bot/commands/` holds at start is what
Discord shows, so a new command needs no Discord code. Each command has at most one
typed string option, taken from the spec's argument.

No `from __future__ import annotations` here on purpose: discord.py reads the
callbacks' annotations to build the options, and these callbacks are made at run
time, so their annotations must be real objects rather than strings.
"""

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Optional

import discord
from discord import app_commands

from bot.core import MAX_QUERY_CHARS, CommandSpec, Registry

#: Discord's limit for command and option descriptions.
DESCRIPTION_MAX = 100

#: What a generated command calls: the interaction, its spec, and the option's text.
Answer = Callable[[discord.Interaction, CommandSpec, str], Awaitable[None]]

QueryText = app_commands.Range[str, 1, MAX_QUERY_CHARS]


def short_description(text: str, fallback: str) -> str:
    """Discord wants 1-100 characters; cut at a word and mark the cut."""
    text = " ".join((text or "").split()) or fallback
    if len(text) <= DESCRIPTION_MAX:
        return text
    cut = text[: DESCRIPTION_MAX - 1]
    if " " in cut[40:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "…"


def option_name(arg_name: str) -> str:
    """A registry argument name as a valid option name: lower case, 1-32 of [-_a-z0-9]."""
    name = re.sub(r"[^-_a-z0-9]+", "_", arg_name.lower()).strip("_")[:32]
    return name or "text"


def make_command(spec: CommandSpec, answer: Answer) -> app_commands.Command:
    """One app command for `spec` whose callback hands the interaction to `answer`."""
    if spec.arg_name is None:
        async def callback(interaction: discord.Interaction) -> None:
            await answer(interaction, spec, "")
    elif spec.arg_required:
        async def callback(  # type: ignore[misc]  # one signature per kind of option
                interaction: discord.Interaction, value: QueryText) -> None:
            await answer(interaction, spec, value)
    else:
        async def callback(  # type: ignore[misc]  # one signature per kind of option
                interaction: discord.Interaction, value: Optional[QueryText] = None) -> None:
            await answer(interaction, spec, value or "")

    callback.__name__ = callback.__qualname__ = f"slash_{spec.name.replace('-', '_')}"
    if spec.arg_name is not None:
        app_commands.rename(value=option_name(spec.arg_name))(callback)
        app_commands.describe(value=short_description(spec.arg_description, spec.arg_name))(
            callback)
    if spec.requires_manage:
        # Only a hint to Discord's client (server admins can override it); the real
        # check is Request.can_manage, which the core enforces.
        app_commands.default_permissions(manage_channels=True)(callback)
    return app_commands.Command(name=spec.name,
                                description=short_description(spec.description, spec.name),
                                callback=callback)


def build_commands(registry: Registry, answer: Answer) -> Iterable[app_commands.Command]:
    """Every registered command, in name order."""
    return [make_command(spec, answer) for spec in registry]
