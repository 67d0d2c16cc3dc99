"""briefbot: a self-hosted news briefing bot whose every sentence cites its source."""

__version__ = "0.1.0"
