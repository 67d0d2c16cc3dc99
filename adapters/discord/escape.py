"""Make untrusted text (article sentences, titles, user input) display as plain text on Discord.

Article text is written by strangers. Sent as it is, `@everyone`, `<@&role>` or a
masked link would ping people or mislead readers, and invisible or right-to-left
control characters could disguise any of these. Everything a user sees passes
through `plain()` first; messages are additionally sent with no allowed mentions.
"""

from __future__ import annotations

import re
import unicodedata

import discord

from bot.links import safe_link
from bot.text_hygiene import clean_text

#: Characters that draw nothing but change how text around them is read or parsed.
#: Unicode "format" (Cf) covers zero-width spaces/joiners, bidi embeddings, overrides
#: and isolates, the word joiner, BOM, soft hyphen and tag characters; the fillers
#: below are letters that render as blank space and are used to fake empty names.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u034f\u180e")

#: Discord's angle-bracket syntax: user/role/channel mentions, slash-command mentions,
#: guild navigation (<id:...>), timestamps (<t:...>) and custom emoji (<:name:id>).
_ANGLE_SYNTAX = re.compile(r"<(?=[@#/:]|a:|t:|id:)", re.I)

#: `@everyone` / `@here` and raw `@12345...` ids, also the short forms escape_mentions misses.
_AT_WORDS = re.compile(r"@(?=everyone|here|[!&]?\d)", re.I)

_ZWSP = "\u200b"


def strip_invisible(text: str) -> str:
    """Drop control, format (zero-width, bidi) and blank-letter characters; keep \\n and \\t."""
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Co", "Cs") or ch in _BLANK_LETTERS:
            continue
        if cat in ("Zl", "Zp"):
            out.append("\n")
            continue
        if cat == "Zs":
            out.append(" ")
            continue
        out.append(ch)
    return "".join(out)


def plain(text: str | None) -> str:
    """Untrusted text -> Discord markdown that renders as exactly that text, pinging no one."""
    return _escape(strip_invisible(clean_text(text)))


def plain_line(text: str | None) -> str:
    """Like `plain`, for one-line places (titles, field names, link labels).

    Every bracket is escaped too, so the text cannot end a masked-link label early.
    """
    one = re.sub(r"\s+", " ", strip_invisible(clean_text(text))).strip()
    # Private-use stand-ins survive escape_markdown untouched and become "\[" / "\]" after.
    one = one.replace("[", "\ue000").replace("]", "\ue001")
    return _escape(one).replace("\ue000", "\\[").replace("\ue001", "\\]")


def _escape(text: str) -> str:
    if not text:
        return ""
    text = discord.utils.escape_markdown(text)
    # A masked link needs "[label](url)"; escape_markdown escapes its "[", but "]("
    # could still pair with an earlier "[" from another sentence, so break it too.
    text = text.replace("](", "]\\(")
    # discord.utils.escape_mentions only knows 17-20 digit ids; this covers every "@word".
    text = _AT_WORDS.sub("@" + _ZWSP, text)
    return _ANGLE_SYNTAX.sub("<" + _ZWSP, text)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL usable inside a masked link (bot.links.safe_link: parentheses are
    percent-encoded, so they cannot close the "(url)" part early), or None."""
    return safe_link(url)


def utf16_len(text: str) -> int:
    """Discord counts limits in UTF-16 code units (as JavaScript does): emoji count twice."""
    return len(text.encode("utf-16-le")) // 2
