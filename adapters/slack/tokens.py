"""Which Web API client speaks for a workspace: SLACK_BOT_TOKEN's, or its installed token.

In the single-token mode every call uses the one client. With the install flow each
workspace has its own token (adapters.slack.installs); a request carries its team,
and a post made outside any request (digests, feed notices) finds the team from the
channel, as recorded when a command last came from that channel.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.installs import SlackInstallStore


class NoWorkspaceToken(LookupError):
    """No installed token can post to this channel or workspace; the message says why."""


class WorkspaceClients:
    """`for_channel(channel)` / `for_team(team)`: the client holding the right bot token."""

    def __init__(self, base: AsyncWebClient, installs: SlackInstallStore | None = None) -> None:
        self.base = base
        self.installs = installs
        self._by_token: dict[str, AsyncWebClient] = {}

    def __repr__(self) -> str:
        return f"WorkspaceClients(per_workspace={self.installs is not None})"

    def for_team(self, team_id: str | None, enterprise_id: str | None = None) -> AsyncWebClient:
        if self.installs is None:
            return self.base
        bot = self.installs.find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None:
            raise NoWorkspaceToken(f"briefbot is not installed in Slack workspace {team_id}: "
                                   "install it there from /slack/install")
        client = self._by_token.get(bot.bot_token)
        if client is None:
            client = AsyncWebClient(token=bot.bot_token, base_url=self.base.base_url,
                                    timeout=self.base.timeout, ssl=self.base.ssl,
                                    proxy=self.base.proxy, headers=dict(self.base.headers),
                                    retry_handlers=list(self.base.retry_handlers))
            self._by_token[bot.bot_token] = client
        return client

    def for_channel(self, channel_id: str) -> AsyncWebClient:
        if self.installs is None:
            return self.base
        team = self.installs.team_of(channel_id)
        if team is None:
            raise NoWorkspaceToken(f"no Slack workspace is known for channel {channel_id}: run "
                                   "any briefbot command in that channel once, so its "
                                   "workspace's token can be used there")
        return self.for_team(team)
