"""Platform adapters: Discord, Slack and the console turn events into Requests and Replies into messages."""
