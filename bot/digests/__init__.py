"""Daily digests: per-channel subscriptions, exactly-once delivery, and "what's new" stories.

`store` keeps subscriptions and the digest log in the index's SQLite file,
`runner` claims, composes and posts one channel's digest, `stories`/`novelty`/
`compose` decide what it says, and `bot.scheduler` fires the runner on time.
"""
