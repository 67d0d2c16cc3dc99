"""A small read-only web app: status, feeds, entity and event pages, search, charts."""
