"""The Slack app manifest, generated from the command registry.

Creating the app from this manifest gives it exactly the slash commands the bot
registers, the scopes it uses and the events it listens to. The committed copy
(manifest.json) is checked against the registry by a test, so it cannot drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.core import CommandSpec, Registry

MANIFEST_PATH = Path(__file__).with_name("manifest.json")

BOT_SCOPES = (
    "commands",           # slash commands
    "chat:write",         # answers, digests
    "app_mentions:read",  # @briefbot questions in channels
    "im:history",         # DMs to the bot (message.im)
    "im:read",
    "im:write",
    "users:read",         # is_admin / is_owner for channel-settings commands
    "channels:read",      # channel creator for channel-settings commands
    "groups:read",        # the same in private channels
    "channels:history",   # was a digest whose answer got lost delivered? (message metadata)
    "groups:history",     # the same in private channels
    "files:write",        # coverage charts beside `timeline` answers
)
BOT_EVENTS = ("app_mention", "message.im")
#: With the install flow: a workspace that removes the app has its stored token deleted.
INSTALL_EVENTS = ("app_uninstalled", "tokens_revoked")
MAX_DESCRIPTION = 2000
MAX_USAGE_HINT = 1000


def usage_hint(spec: CommandSpec) -> str:
    """The grey hint Slack shows after the command: its example(s) without the name.

    "digest | digest now | digest preview" becomes "[now | preview]": an
    alternative with no argument makes the whole hint optional.
    """
    forms = [f.strip() for f in spec.usage.split("|")]
    args = [f[len(spec.name):].strip() if f.split(" ", 1)[0] == spec.name else f for f in forms]
    shown = [a for a in args if a]
    if not shown:
        return f"[{spec.arg_name}]" if spec.arg_name else ""
    hint = " | ".join(shown)
    return (hint if len(shown) == len(args) else f"[{hint}]")[:MAX_USAGE_HINT]


def slash_command(spec: CommandSpec, request_url: str | None) -> dict[str, Any]:
    description = spec.description
    if spec.requires_manage:
        description += " (admins or the channel's creator)"
    entry: dict[str, Any] = {"command": f"/{spec.name}",
                             "description": description[:MAX_DESCRIPTION],
                             "should_escape": False}
    hint = usage_hint(spec)
    if hint:
        entry["usage_hint"] = hint
    if request_url:
        entry["url"] = request_url
    return entry


def build_manifest(registry: Registry, *, request_url: str | None = None,
                   redirect_url: str | None = None, name: str = "briefbot") -> dict[str, Any]:
    """Socket Mode manifest by default; with `request_url` (…/slack/events) an HTTP one;
    with `redirect_url` (…/slack/oauth_redirect) one for the install flow (many workspaces)."""
    if redirect_url and not request_url:
        raise ValueError("the install flow runs in HTTP mode: give the request URL too")
    events = list(BOT_EVENTS) + (list(INSTALL_EVENTS) if redirect_url else [])
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": events},
        "interactivity": {"is_enabled": False},
        "org_deploy_enabled": False,
        "socket_mode_enabled": request_url is None,
        "token_rotation_enabled": False,
    }
    if request_url:
        settings["event_subscriptions"]["request_url"] = request_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "News briefings where every sentence cites its source.",
            "background_color": "#1d3557",
        },
        "features": {
            "app_home": {"home_tab_enabled": False, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [slash_command(spec, request_url) for spec in registry],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)},
                         **({"redirect_urls": [redirect_url]} if redirect_url else {})},
        "settings": settings,
    }


def manifest_json(registry: Registry, *, request_url: str | None = None,
                  redirect_url: str | None = None) -> str:
    """The manifest as Slack's "From an app manifest" dialog takes it (JSON)."""
    return json.dumps(build_manifest(registry, request_url=request_url,
                                     redirect_url=redirect_url), indent=2,
                      ensure_ascii=False) + "\n"


def write_manifest(registry: Registry, path: Path = MANIFEST_PATH) -> Path:
    """Regenerate the committed manifest after adding or changing a command."""
    path.write_text(manifest_json(registry), encoding="utf-8")
    return path


def main() -> None:
    """`python -m adapters.slack.manifest`: rewrite manifest.json from the registry."""
    from bot.registry import load_commands

    print(write_manifest(load_commands()))


if __name__ == "__main__":
    main()
