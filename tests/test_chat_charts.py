"""`timeline` answers in chat carry a coverage chart, when the platform lets the bot attach
one; otherwise the answer arrives as text only. Real commands on the seeded index, the real
discord.py command tree with a recording Discord side, and real signed Slack requests
against a local Slack Web API that also speaks the file-upload methods."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.discord.client import BriefBot
from adapters.slack.run import EVENTS_PATH, make_bot, start_http
from bot.registry import load_commands
from bot.services import Services
from tests.test_discord_app_commands import RecordingInteraction, invoke
from tests.test_slack_flows import (BOT_USER, FakeSlack, mention, send_event, serving,
                                    slack_settings)

ROOT = Path(__file__).resolve().parent.parent


def test_the_slack_manifest_asks_for_files_write():
    import json

    manifest = json.loads((ROOT / "adapters" / "slack" / "manifest.json").read_text())
    assert "files:write" in manifest["oauth_config"]["scopes"]["bot"]


# --- Discord ---------------------------------------------------------------------------
@pytest.fixture
def discord_bot(seeded_services):
    bot = BriefBot(seeded_services)
    yield bot
    bot.worker.close()


async def test_discord_timeline_shows_the_chart_inside_its_embed(discord_bot):
    interaction = RecordingInteraction(attach_files=True)
    await invoke(discord_bot, "timeline", interaction, topic="Alaska summit")
    first = interaction.followups()[0]
    (chart,) = first["files"]
    data = chart.fp.read()
    assert chart.filename == "coverage.png" and data.startswith(b"\x89PNG")
    assert "Articles about Alaska summit per day" in chart.description
    assert first["embeds"][-1].image.url == "attachment://coverage.png"
    assert first["embeds"][0].title == "Timeline of Alaska summit"


async def test_discord_without_attach_files_answers_in_text_only(discord_bot):
    interaction = RecordingInteraction(attach_files=False)
    await invoke(discord_bot, "timeline", interaction, topic="Alaska summit")
    assert all("files" not in f for f in interaction.followups())
    assert all(not e.image for e in interaction.shown_embeds())
    assert interaction.shown_embeds()[0].title == "Timeline of Alaska summit"


async def test_charts_setting_off_means_no_picture(seeded_services):
    seeded_services.settings = replace(seeded_services.settings, charts=False)
    bot = BriefBot(seeded_services)
    try:
        interaction = RecordingInteraction(attach_files=True)
        await invoke(bot, "timeline", interaction, topic="Alaska summit")
        assert all("files" not in f for f in interaction.followups())
    finally:
        bot.worker.close()


async def test_latest_has_no_chart(discord_bot):
    interaction = RecordingInteraction(attach_files=True)
    await invoke(discord_bot, "latest", interaction, topic="Alaska summit")
    assert all("files" not in f for f in interaction.followups())


# --- Slack -----------------------------------------------------------------------------
@dataclass
class FileSlack(FakeSlack):
    """The fake Slack peer plus files.getUploadURLExternal, the upload URL and
    files.completeUploadExternal; `scope_missing` answers as an install without files:write."""

    uploads: dict[str, bytes] = None  # type: ignore[assignment]
    shared: list[dict[str, Any]] = None  # type: ignore[assignment]
    scope_missing: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self.uploads, self.shared = {}, []

    async def api(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        if name == "files.getUploadURLExternal":
            if self.scope_missing:
                return web.json_response({"ok": False, "error": "missing_scope",
                                          "needed": "files:write"})
            file_id = f"F{len(self.uploads) + 1}"
            self.uploads[file_id] = b""
            return web.json_response({"ok": True, "file_id": file_id,
                                      "upload_url": f"{self.url}upload/{file_id}"})
        if name == "files.completeUploadExternal":
            data = await self._payload(request)
            self.shared.append(data)
            await self._record(name, data)
            return web.json_response({"ok": True, "files": [{"id": "F1", "title": "chart"}]})
        return await super().api(request)

    async def upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.uploads[request.match_info["file_id"]] = body
        return web.Response(text="OK")


@pytest.fixture
async def file_slack():
    fake = FileSlack(users={"UPLAIN": {"id": "UPLAIN", "is_admin": False}},
                     channels={"C1": {"id": "C1", "creator": "UCREATOR"}})
    async with serving(fake, ("POST", "/upload/{file_id}", fake.upload)):
        yield fake


@pytest.fixture
async def slack_bot(seeded_services, file_slack, tmp_path):
    settings = replace(slack_settings(tmp_path, file_slack),
                       db_path=seeded_services.settings.db_path)
    services = Services(settings=settings, index=seeded_services.index,
                        summarizer=seeded_services.summarizer, registry=load_commands())
    bot = make_bot(services, http=True)
    server = await start_http(bot, host="127.0.0.1", port=0)
    yield bot, server
    await server.close()
    bot.worker.close()


async def test_slack_mention_timeline_uploads_the_chart_into_the_thread(slack_bot, file_slack):
    bot, server = slack_bot
    url = f"http://127.0.0.1:{server.port}{EVENTS_PATH}"
    event = mention(f"<@{BOT_USER}> timeline of the Alaska summit", ts="1700000000.000500")
    await send_event(_Running(url, file_slack), event, "EvChart")
    posts = await file_slack.wait_posts(2)
    answer = next(p for p in posts if p["kind"] == "chat.postMessage")
    assert answer["thread_ts"] == "1700000000.000500"
    assert "Timeline of Alaska summit" in answer["blocks"][0]["text"]["text"]
    (done,) = file_slack.shared
    assert done["channel_id"] == "C1" and done["thread_ts"] == "1700000000.000500"
    (png,) = file_slack.uploads.values()
    assert png.startswith(b"\x89PNG")


async def test_slack_without_files_write_answers_in_text_only(slack_bot, file_slack, caplog):
    bot, server = slack_bot
    file_slack.scope_missing = True
    url = f"http://127.0.0.1:{server.port}{EVENTS_PATH}"
    await send_event(_Running(url, file_slack),
                     mention(f"<@{BOT_USER}> timeline of the Alaska summit"), "EvNoScope")
    posts = await file_slack.wait_posts(1)
    assert posts[0]["kind"] == "chat.postMessage"
    for _ in range(200):  # the upload is tried after the answer is posted
        if any("files:write" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    assert any("files:write" in r.getMessage() for r in caplog.records)
    assert file_slack.shared == [] and len(file_slack.posts) == 1


@dataclass
class _Running:
    """What send_event needs: where the bot listens and its peer."""

    url: str
    fake: FakeSlack

