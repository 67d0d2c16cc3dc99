"""Slash commands through discord.py's real CommandTree, with a recording Discord side.

The interaction object stands in for Discord (the peer): its `response.defer`,
`followup.send`, `edit_original_response` and `delete_original_response` record what
the bot asked Discord to show. Everything on our side is the real code.
"""

from __future__ import annotations

import asyncio
import itertools
import threading

import discord
import pytest
from discord import app_commands

from adapters.discord.client import BriefBot
from bot.config import Settings
from bot.core import Claim, Registry, Reply, Request, Section, Source
from bot.registry import load_commands
from bot.services import Services

_ids = itertools.count(1000)


class RecordingResponse:
    def __init__(self, calls: list) -> None:
        self.calls = calls
        self._done = False

    def is_done(self) -> bool:
        return self._done

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        assert not self._done, "an interaction can be answered only once"
        self.calls.append(("defer", {"ephemeral": ephemeral, "thinking": thinking}))
        self._done = True

    async def send_message(self, content=None, **kwargs) -> None:
        assert not self._done, "an interaction can be answered only once"
        self.calls.append(("send_message", {"content": content, **kwargs}))
        self._done = True


class RecordingFollowup:
    def __init__(self, calls: list) -> None:
        self.calls = calls

    async def send(self, content=None, **kwargs):
        self.calls.append(("followup", {"content": content, **kwargs}))
        return discord.Object(id=next(_ids))


class RecordingInteraction:
    """What discord.py hands a command callback, as far as the bot uses it."""

    def __init__(self, *, guild_id: int | None = 555, manage_channels: bool = False,
                 attach_files: bool = True) -> None:
        self.calls: list = []
        self.guild_id = guild_id
        self.channel_id = 777
        self.user = discord.Object(id=888)
        self.permissions = discord.Permissions(send_messages=True,
                                               manage_channels=manage_channels)
        #: What the bot itself may do in the channel (Discord sends it with the interaction).
        self.app_permissions = discord.Permissions(send_messages=True, embed_links=True,
                                                   attach_files=attach_files)
        self.response = RecordingResponse(self.calls)
        self.followup = RecordingFollowup(self.calls)
        self.command = None

    async def edit_original_response(self, **kwargs) -> None:
        self.calls.append(("edit_original", kwargs))

    async def delete_original_response(self) -> None:
        self.calls.append(("delete_original", {}))

    def followups(self) -> list[dict]:
        return [kw for name, kw in self.calls if name == "followup"]

    def shown_embeds(self) -> list[discord.Embed]:
        return [e for kw in self.followups() for e in kw.get("embeds", [])]


def make_services(registry: Registry) -> Services:
    return Services(settings=Settings.load(env={}, dotenv=None), index=None, summarizer=None,
                    registry=registry)


def make_registry(events: list) -> Registry:
    reg = Registry()

    @reg.command("latest", "Echo the topic", arg="topic", arg_description="What to look up",
                 arg_required=True)
    async def latest(req: Request, services: Services) -> Reply:
        events.append(("handler", threading.current_thread().name, req))
        if req.text == "explode":
            raise RuntimeError("boom")
        if req.text == "private":
            return Reply.plain("Only for you.", ephemeral=True)
        return Reply(sections=(Section.cited([Claim(f"{req.text} happened.", (1,))]),),
                     title=f"Latest on {req.text}",
                     sources=(Source(1, 3, "Story", "AP", None, "https://example.com/s"),))

    @reg.command("subscribe", "Post a daily digest in this channel " + "x" * 120,
                 arg="time", requires_manage=True)
    async def subscribe(req: Request, services: Services) -> Reply:
        events.append(("handler", threading.current_thread().name, req))
        return Reply.plain(f"Subscribed at {req.text or '08:00'}.")

    @reg.command("wait", "Block until the test lets go")
    async def wait(req: Request, services: Services) -> Reply:
        gate = events[0]
        events.append(("handler started",))
        # Blocking on purpose. Only the event loop opens the gate, so this returns
        # "done" only if the loop kept running while this handler blocked.
        opened = gate.wait(timeout=10)
        return Reply.plain("done" if opened else "the event loop was blocked")

    return reg


@pytest.fixture
async def bot_events():
    events: list = []
    bot = BriefBot(make_services(make_registry(events)))
    yield bot, events
    bot.worker.close()


async def invoke(bot: BriefBot, name: str, interaction: RecordingInteraction, **options):
    """Call the generated command's callback, options by their Discord names."""
    command = bot.tree.get_command(name)
    assert isinstance(command, app_commands.Command)
    interaction.command = command
    by_display = {p.display_name: p.name for p in command.parameters}
    await command.callback(interaction, **{by_display[k]: v for k, v in options.items()})


async def test_commands_are_generated_from_the_registry_with_typed_options():
    registry = load_commands()
    bot = BriefBot(make_services(registry))
    try:
        names = sorted(c.name for c in bot.tree.get_commands())
        assert names == sorted(spec.name for spec in registry)
        for spec in registry:
            payload = bot.tree.get_command(spec.name).to_dict(bot.tree)
            assert 1 <= len(payload["description"]) <= 100
            if spec.arg_name is None:
                assert payload["options"] == []
                continue
            (option,) = payload["options"]
            assert option["type"] == discord.AppCommandOptionType.string.value
            assert option["name"] == spec.arg_name
            assert option["required"] == spec.arg_required
            assert 1 <= len(option["description"]) <= 100
    finally:
        bot.worker.close()


async def test_manage_channels_commands_carry_the_hint_and_long_descriptions_are_cut(bot_events):
    bot, _ = bot_events
    payload = bot.tree.get_command("subscribe").to_dict(bot.tree)
    assert payload["default_member_permissions"] == discord.Permissions(manage_channels=True).value
    assert len(payload["description"]) <= 100 and payload["description"].endswith("…")
    assert bot.tree.get_command("latest").to_dict(bot.tree)["default_member_permissions"] is None


async def test_defer_comes_first_then_a_public_embed_follow_up(bot_events):
    bot, events = bot_events
    interaction = RecordingInteraction()
    await invoke(bot, "latest", interaction, topic="Budapest summit")
    assert interaction.calls[0] == ("defer", {"ephemeral": False, "thinking": True})
    (follow,) = interaction.followups()
    assert follow["ephemeral"] is False
    assert follow["allowed_mentions"].to_dict() == {"parse": []}
    (embed,) = follow["embeds"]
    assert embed.title == "Latest on Budapest summit"
    assert embed.description == "Budapest summit happened. [1]"
    assert embed.fields[0].value.startswith("[1] [Story](https://example.com/s) — AP")
    _, thread_name, req = events[-1]
    assert (req.platform, req.channel_id, req.user_id) == ("discord", "777", "888")
    assert thread_name.startswith("briefbot-commands")  # not the event loop's thread


async def test_forbidden_without_manage_channels_is_private_and_never_runs(bot_events):
    bot, events = bot_events
    interaction = RecordingInteraction(manage_channels=False)
    await invoke(bot, "subscribe", interaction, time="08:00")
    assert interaction.calls[0] == ("defer", {"ephemeral": True, "thinking": True})
    (follow,) = interaction.followups()
    assert follow["ephemeral"] is True
    assert "Manage Channels" in follow["embeds"][0].description
    assert events == []


async def test_manage_channels_permission_lets_the_command_run(bot_events):
    bot, events = bot_events
    interaction = RecordingInteraction(manage_channels=True)
    await invoke(bot, "subscribe", interaction, time="07:30")
    assert interaction.calls[0][1]["ephemeral"] is False
    assert interaction.shown_embeds()[0].description == "Subscribed at 07:30."
    assert events[-1][2].can_manage


async def test_in_a_dm_the_user_manages_their_own_conversation(bot_events):
    bot, events = bot_events
    interaction = RecordingInteraction(guild_id=None, manage_channels=False)
    await invoke(bot, "subscribe", interaction)
    assert interaction.shown_embeds()[0].description == "Subscribed at 08:00."
    assert events[-1][2].is_direct


async def test_a_crash_becomes_an_apology_and_the_next_command_works(bot_events):
    bot, _ = bot_events
    first = RecordingInteraction()
    await invoke(bot, "latest", first, topic="explode")
    assert first.calls[0][0] == "defer"
    assert first.shown_embeds()[0].description.startswith("Sorry, something went wrong")
    second = RecordingInteraction()
    await invoke(bot, "latest", second, topic="Kyiv")
    assert second.shown_embeds()[0].title == "Latest on Kyiv"


async def test_a_private_answer_after_a_public_defer_leaves_nothing_public(bot_events):
    bot, _ = bot_events
    interaction = RecordingInteraction()
    await invoke(bot, "latest", interaction, topic="private")
    names = [name for name, _ in interaction.calls]
    assert names == ["defer", "edit_original", "followup", "delete_original"]
    (follow,) = interaction.followups()
    assert follow["ephemeral"] is True
    assert follow["embeds"][0].description == "Only for you."


async def test_tree_errors_become_an_apology(bot_events):
    bot, _ = bot_events
    interaction = RecordingInteraction()
    command = bot.tree.get_command("latest")
    interaction.command = command
    error = app_commands.CommandInvokeError(command, RuntimeError("transform failed"))
    await bot.tree.on_error(interaction, error)
    (name, kwargs), = interaction.calls
    assert name == "send_message" and kwargs["ephemeral"] is True
    assert kwargs["embed"].description.startswith("Sorry, something went wrong")
    assert kwargs["allowed_mentions"].to_dict() == {"parse": []}


async def test_a_blocking_command_does_not_block_the_event_loop(bot_events):
    bot, events = bot_events
    gate = threading.Event()
    events.insert(0, gate)
    interaction = RecordingInteraction()
    task = asyncio.create_task(invoke(bot, "wait", interaction))
    while ("handler started",) not in events:
        await asyncio.sleep(0.01)
    assert not task.done()
    gate.set()  # runs on the event loop, while the handler blocks
    await asyncio.wait_for(task, 10)
    assert interaction.shown_embeds()[0].description == "done"
