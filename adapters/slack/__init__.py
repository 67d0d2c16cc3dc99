"""Slack surface (slack-bolt): slash commands, mentions, DMs and digest posting.

Entry points: `run.run_slack(services, http=..., port=...)` for `briefbot serve slack`,
`run.make_bot` + `run.serve` + `run.make_poster` when serving several surfaces in one
process, and `manifest.manifest_json(registry)` for `briefbot slack-manifest`.
"""
