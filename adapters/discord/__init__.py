"""briefbot on Discord (discord.py 2.x): slash commands, DMs and @mentions.

Entry point: `adapters.discord.run.run_discord(services, sync=...)`.
"""
