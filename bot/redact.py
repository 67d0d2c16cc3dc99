"""Keeping secrets out of logs: URLs may carry tokens in their query or user info."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact_url(url: object) -> str:
    """"https://u:p@host/feed?key=abc&x=1" -> "https://host/feed?key=…&x=…" for logging."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = "&".join(f"{pair.split('=', 1)[0]}=…" for pair in parts.query.split("&") if pair)
    return urlunsplit((parts.scheme, host, parts.path, query, ""))
