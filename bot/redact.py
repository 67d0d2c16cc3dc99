"""Keeping secrets out of logs: URLs may carry tokens in their query or user info."""

from __future__ import annotations

import logging
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


#: Slack's tokens (bot xoxb-, user xoxp-, refresh xoxe-, app-level xapp-...) wherever they appear.
_SLACK_TOKEN = re.compile(r"\b(xox[abcdeprs]|xapp)-[A-Za-z0-9.\-]+")


def redact_tokens(text: str) -> str:
    """"... 'access_token': 'xoxb-1-2-abc' ..." -> "... 'access_token': 'xoxb-…' ..."."""
    return _SLACK_TOKEN.sub(lambda m: f"{m.group(1)}-…", text)


class TokenFilter(logging.Filter):
    """Rewrites a log record whose text holds a token; slack_sdk's DEBUG lines print
    whole response bodies, and oauth.v2.access's body is a new workspace's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = redact_tokens(text)
        if clean != text:
            record.msg, record.args = clean, None
        return True
