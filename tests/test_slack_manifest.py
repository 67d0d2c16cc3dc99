"""The committed Slack app manifest matches the command registry and the bot's needs."""

from __future__ import annotations

import json

from adapters.slack.manifest import MANIFEST_PATH, BOT_SCOPES, build_manifest, manifest_json
from bot.registry import load_commands


def test_committed_manifest_is_what_the_registry_generates():
    committed = MANIFEST_PATH.read_text(encoding="utf-8")
    assert committed == manifest_json(load_commands()), (
        "adapters/slack/manifest.json is stale: run `python -m adapters.slack.manifest` "
        "(or `briefbot slack-manifest --write`) and commit the result")


def test_manifest_has_one_valid_slash_command_per_registry_command():
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    registry = load_commands()
    assert set(commands) == {f"/{spec.name}" for spec in registry}
    for spec in registry:
        entry = commands[f"/{spec.name}"]
        assert len(entry["command"]) <= 32
        assert entry["description"].startswith(spec.description)
        if spec.arg_required:
            assert entry["usage_hint"]  # Slack shows what to type after the command
        assert "url" not in entry  # Socket Mode: no public URL needed


def test_manifest_asks_for_the_scopes_and_events_the_bot_uses():
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands", "chat:write", "app_mentions:read", "im:history", "im:read", "im:write",
        "users:read", "channels:read", "groups:read", "channels:history",
        "groups:history", "files:write"} == set(BOT_SCOPES)
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention",
                                                                         "message.im"]
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # DMs allowed


def test_http_manifest_points_commands_and_events_at_the_request_url():
    url = "https://bot.example.org/slack/events"
    manifest = build_manifest(load_commands(), request_url=url)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert {c["url"] for c in manifest["features"]["slash_commands"]} == {url}


def test_install_flow_manifest_has_the_redirect_url_and_uninstall_events():
    events, redirect = "https://bot.example.org/slack/events", "https://bot.example.org/slack/oauth_redirect"
    manifest = build_manifest(load_commands(), request_url=events, redirect_url=redirect)
    assert manifest["oauth_config"]["redirect_urls"] == [redirect]
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == [
        "app_mention", "message.im", "app_uninstalled", "tokens_revoked"]
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert "redirect_urls" not in build_manifest(load_commands(), request_url=events)["oauth_config"]
