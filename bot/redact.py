"""Keeping secrets out of logs: URLs may carry tokens in their query or user info."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

#: A URL in prose: up to white space or a quote, not taking trailing punctuation along.
_URL = re.compile(r"https?://[^\s<>\"'“”]*[^\s<>\"'“”.,;:!?)\]]", re.I)


def redact_url(url: object) -> str:
    """"https://u:p@host/feed?key=abc&x=1" -> "https://host/feed?key=…&x=…" for logging."""
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:  # also a port out of range, which only .port notices
        return "<unparseable URL>"
    host = parts.hostname or ""
    if port:
        host = f"{host}:{port}"
    query = "&".join(f"{pair.split('=', 1)[0]}=…" for pair in parts.query.split("&") if pair)
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def redact_urls(text: str) -> str:
    """Every http(s) URL inside `text` redacted: fetch errors quote the URL they failed on."""
    return _URL.sub(lambda m: redact_url(m.group(0)), text)
