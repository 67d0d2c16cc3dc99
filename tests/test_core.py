"""The command core: free-text parsing, dispatch, permissions, failures."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest

from bot.config import Settings
from bot.core import MAX_QUERY_CHARS, Registry, Reply, Request, UserError
from bot.registry import load_commands
from bot.services import Services


@pytest.mark.parametrize("text, command, arg", [
    ("latest on Budapest summit", "latest", "Budapest summit"),
    ("Latest on the Budapest summit?", "latest", "the Budapest summit"),
    ("what's new with Zelensky?", "latest", "Zelensky"),
    ("What is happening in Ukraine", "latest", "Ukraine"),
    ("news about Tomahawk missiles", "latest", "Tomahawk missiles"),
    ("what happened in Alaska?", "latest", "Alaska"),
    ("who is Steve Witkoff", "who", "Steve Witkoff"),
    ("Who's Witkoff?", "who", "Witkoff"),
    ("timeline of the Alaska summit", "timeline", "the Alaska summit"),
    ("timeline Alaska summit", "timeline", "Alaska summit"),
    ("sources for Tomahawk", "sources", "Tomahawk"),
    ("help", "help", ""),
    ("", "help", ""),
    ("   \u200b  ", "help", ""),
    ("Budapest summit", "latest", "Budapest summit"),
    ("/who Karoline Leavitt", "who", "Karoline Leavitt"),
    ("who is", "who", ""),
    ("Who's?", "who", ""),
    ("timeline of", "timeline", ""),
    ("latest on", "latest", ""),
    ("what's new with", "latest", ""),
    ("sources for ?", "sources", ""),
    ("news", "latest", ""),
])
def test_free_text_is_understood(text, command, arg):
    req = load_commands().parse(text)
    assert (req.command, req.text) == (command, arg)


def _services(registry: Registry) -> Services:
    return Services(settings=Settings.load(env={}, dotenv=None), index=None,  # type: ignore[arg-type]
                    summarizer=None, registry=registry)  # type: ignore[arg-type]


async def test_duplicate_command_names_are_rejected():
    reg = Registry()

    @reg.command("ping", "answer pong")
    async def ping(req, svc):
        return Reply.plain("pong")

    with pytest.raises(ValueError, match="registered twice"):
        reg.command("ping", "again")(ping)


async def test_manage_channels_is_enforced_by_the_core():
    reg = Registry()
    calls = []

    @reg.command("subscribe-x", "change settings", requires_manage=True)
    async def change(req, svc):
        calls.append(req)
        return Reply.plain("changed")

    denied = await reg.dispatch(Request("subscribe-x", "", can_manage=False), _services(reg))
    assert denied.kind == "forbidden" and "Manage Channels" in denied.text and denied.ephemeral
    assert calls == []
    allowed = await reg.dispatch(Request("subscribe-x", "", can_manage=True), _services(reg))
    assert allowed.text == "changed" and len(calls) == 1


async def test_a_crashing_command_becomes_an_apology_and_is_logged(caplog):
    reg = Registry()

    @reg.command("boom", "fails")
    async def boom(req, svc):
        raise RuntimeError("disk on fire")

    with caplog.at_level(logging.ERROR):
        reply = await reg.dispatch(Request("boom", "x"), _services(reg))
    assert reply.kind == "error" and "Sorry" in reply.text and "disk on fire" not in reply.text
    assert any("boom failed" in r.getMessage() for r in caplog.records)


async def test_a_command_that_never_answers_gets_a_reply_in_time(caplog):
    reg = Registry()
    cancelled = asyncio.Event()

    @reg.command("stuck", "never answers")
    async def stuck(req, svc):
        try:
            await asyncio.sleep(3600)
        finally:
            cancelled.set()

    services = _services(reg)
    services.settings = replace(services.settings, command_timeout_seconds=0.2)
    with caplog.at_level(logging.ERROR):
        reply = await reg.dispatch(Request("stuck", ""), services)
    assert reply.kind == "error" and reply.ephemeral
    assert reply.text == ("Sorry, that took more than 0.2 seconds, so I stopped waiting. "
                          "Please try again later.")
    assert any("stuck took more than" in r.getMessage() for r in caplog.records)
    await asyncio.wait_for(cancelled.wait(), 5)  # and the stuck coroutine was stopped


async def test_user_errors_are_shown_as_they_are():
    reg = Registry()

    @reg.command("strict", "refuses")
    async def strict(req, svc):
        raise UserError("25:00 is not a time; use HH:MM")

    reply = await reg.dispatch(Request("strict", ""), _services(reg))
    assert reply.text == "25:00 is not a time; use HH:MM"


async def test_oversize_and_missing_arguments_get_clear_messages():
    reg = load_commands()
    long = await reg.dispatch(Request("latest", "x" * (MAX_QUERY_CHARS + 1)), _services(reg))
    assert "at most 300 characters" in long.text
    empty = await reg.dispatch(Request("latest", "  "), _services(reg))
    assert empty.text == "`latest` needs a topic: try `latest Budapest summit`."
    bare = await reg.dispatch(reg.parse("timeline of"), _services(reg))
    assert bare.text == "`timeline` needs a topic: try `timeline Alaska summit`."


async def test_unknown_command_names_help():
    reg = load_commands()
    reply = await reg.dispatch(Request("frobnicate", ""), _services(reg))
    assert reply.kind == "error" and "help" in reply.text


async def test_help_lists_every_registered_command():
    reg = load_commands()
    reply = await reg.dispatch(reg.parse(""), _services(reg))
    for spec in reg:
        assert spec.usage in reply.text


async def test_help_names_each_platforms_permission_rule():
    reg = load_commands()
    discord = await reg.dispatch(reg.parse("help", platform="discord"), _services(reg))
    slack = await reg.dispatch(reg.parse("help", platform="slack"), _services(reg))
    assert "needs Manage Channels" in discord.text and "Manage Channels" not in slack.text
    assert "channel's creator" in slack.text
