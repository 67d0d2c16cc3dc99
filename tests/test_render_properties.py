"""Arbitrary replies built from hostile strings, through every renderer (Discord, Slack, CLI).

Whatever the sentences, titles, publishers and URLs hold (mention tokens, markdown, bidi
and zero-width characters, lone surrogates, look-alike URLs, 10,000-character sentences,
many sources), what reaches the screen pings no one, links nothing under a false name,
keeps every shown claim with its own marks, stays within the platform's limits and is
valid UTF-8. The checks here are written independently of bot/links.py.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_discord_render import assert_within_limits as assert_discord_limits
from test_slack_render import assert_within_limits as assert_slack_limits

from adapters.console import render as render_console
from adapters.discord.escape import utf16_len
from adapters.discord.render import CONTENT_MAX, MAX_MESSAGES
from adapters.discord.render import render as render_discord
from adapters.discord.render import render_text as render_discord_text
from adapters.slack.render import MAX_TEXT
from adapters.slack.render import render as render_slack
from bot.core import Claim, Reply, ReplyKind, Section, Source

HOSTILE_BITS = [
    "@everyone", "@here", "@Everyone", "<@123456789012345678>", "<@!123>", "<@&456>", "<#789>",
    "<!channel>", "<!here>", "<!everyone>", "<!subteam^S1|@team>", "<@U123|alice>", "<#C1|general>",
    "</ban:123456789012345678>", "<t:1700000000:R>", "**bold**", "__u__", "*it*", "_it_", "~~s~~",
    "||spoiler||", "`code`", "```block```", "# Heading", "> quote", "-# small", "\\", "&amp;", "&",
    "[free](https://evil.example/phish)", "<https://evil.example|innocent>", "](", "[", "]", "|",
    "\u200b", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u202e", "\u202c", "\u2066", "\u2069",
    "\u200f", "\u3164", "\ud800", "\udcff", "\x1b[31m", "\x00", "\r\n", "\n", "\t",
    "https://www.bbc.co.uk/news/world-123", "www.bbc.co.uk", "bbc.co.uk", "ｂｂｃ．ｃｏ．ｕｋ",
    "bbc\u2024co\u2024uk", "bbс.co.uk", "bbc.co.uk.evil.example", "https://bbc.co.uk@evil.example/",
    "paypal\u3002com", "hxxp://x", "javascript:alert(1)", "e\u0301", "🎉", "北京", "שלום", "[1]",
    "[2][3]", "Mr. Smith.", "U.S.", "3.5bn", "end. Next",
]
#: 10,000 characters: never shown cut, left out whole when it cannot fit.
GIANT = "@everyone " + "word " * 2000

URLS = [None, "https://www.bbc.co.uk/news/world-123", "https://evil.example/p?a=1&b=<2>|c",
        "http://evil.example/a_(b)", "javascript:alert(1)", "ftp://x.example/f",
        "https://bbc.co.uk@evil.example/", "https://xn--bbc-xyz.example/x", "https://bücher.example/ä",
        "https://evil.example/" + "p" * 1400, "https://a b.example/", "https://ex\u202eample.com/",
        "https://EVIL.example:8443/Path"]

hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE_BITS), st.text(max_size=12)),
                        max_size=8).map(" ".join)
text_or_giant = st.one_of(hostile_text, hostile_text, hostile_text, hostile_text, st.just(GIANT))


@st.composite
def replies(draw) -> Reply:
    n_sources = draw(st.one_of(st.integers(0, 6), st.just(80)))
    tag = iter(range(10_000))

    def claim() -> Claim:
        refs = draw(st.lists(st.integers(1, max(1, n_sources)), max_size=3, unique=True))
        if not n_sources:
            refs = []
        text = draw(text_or_giant)
        if refs:  # tags let the checks find each cited claim whole in the output
            k = next(tag)
            text = f"⟦{k}⟧ {text} ⟦/{k}⟧"
        return Claim(text, tuple(refs))

    sections = []
    for _ in range(draw(st.integers(0, 4))):
        paragraphs = tuple(tuple(claim() for _ in range(draw(st.integers(0, 5))))
                           for _ in range(draw(st.integers(0, 3))))
        heading = draw(st.one_of(st.none(), hostile_text))
        sections.append(Section(paragraphs, heading=heading))
    # many sources repeat a few drawn ones (drawing 80 would only slow the test down)
    kinds = [(draw(hostile_text), draw(st.one_of(st.none(), hostile_text)),
              draw(st.one_of(st.none(), st.just(datetime(2025, 10, 17)))),
              draw(st.sampled_from(URLS)), draw(st.one_of(st.none(), hostile_text)))
             for _ in range(min(n_sources, 6))]
    sources = tuple(Source(n, n, *kinds[(n - 1) % len(kinds)]) for n in range(1, n_sources + 1))
    return Reply(sections=tuple(sections), title=draw(st.one_of(st.none(), hostile_text)),
                 sources=sources, kind=draw(st.sampled_from(list(ReplyKind))))


PROPERTY = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- independent checks -------------------------------------------------------------

_HOST = re.compile(r"(?:[\w-]+\.)+[^\W\d_]{2,}[\w-]*")


def seen(text: str) -> str:
    """What a reader sees: invisible characters gone, compatibility forms folded."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFKC", visible).replace("\u3002", ".")


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") and host.count(".") > 1 else host


def hosts_in(text: str) -> set[str]:
    out = set()
    for m in _HOST.finditer(seen(text)):
        name = m.group(0).lower().rstrip(".")
        out.add(name[4:] if name.startswith("www.") and name.count(".") > 1 else name)
    return out


def assert_utf8(text: str) -> None:
    text.encode("utf-8")  # raises on a lone surrogate
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", text), repr(text)


def assert_claims_keep_marks(reply: Reply, texts: list[str], unescape=lambda t: t) -> None:
    """Each tagged claim is shown whole, in one text, with its own marks right after it,
    or not at all."""
    shown = [unescape(t) for t in texts]
    for claim in (c for s in reply.sections for c in s.claims if c.refs):
        k = re.match(r"⟦(\d+)⟧", claim.text).group(1)
        opened = [t for t in shown if f"⟦{k}⟧" in t]
        closed = [t for t in shown if f"⟦/{k}⟧" in t]
        assert len(opened) == len(closed) <= 1, k
        if opened:
            assert re.search(rf"⟦{k}⟧.*⟦/{k}⟧ {re.escape(claim.marks)}(?!\[)", opened[0], re.S), k


# ---- Discord --------------------------------------------------------------------------

DISCORD_LIVE = [re.compile(r"@(everyone|here)", re.I), re.compile(r"<[@#/]|<t:|<a?:\w+:\d", re.I),
                re.compile(r"@!?&?\d{5,}")]
_MASKED = re.compile(r"(?<!\\)\[((?:\\.|[^\\\]])*)\]\((https?://[^)\s]+)\)")


def discord_displayed(markdown: str) -> str:
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", markdown).replace("\u200b", "")


def discord_texts(messages) -> list[str]:
    out = []
    for m in messages:
        out += [m.content] if m.content else []
        for e in m.embeds:
            out += [e.title or "", e.description or "", e.footer.text or ""]
            out += [t for f in e.fields for t in (f.name, f.value)]
    return out


def assert_discord_honest_links(text: str) -> None:
    for m in _MASKED.finditer(text):
        label, target = discord_displayed(m.group(1)), m.group(2)
        assert hosts_in(label) <= {host_of(target)}, (label, target)
        if re.match(r"\[\d+\]$", label) is None:  # a source link: its host is shown beside it
            assert host_of(target) in text


def assert_discord_safe(texts: list[str]) -> None:
    for text in texts:
        assert_utf8(text)
        for pattern in DISCORD_LIVE:
            assert not pattern.search(text), (pattern.pattern, text[:300])
        assert_discord_honest_links(text)
        # outside our own masked links, nothing is a link
        rest = _MASKED.sub("", text)
        assert not re.search(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\(", rest), rest[:300]


@PROPERTY
@given(replies())
def test_discord_embeds_ping_no_one_link_honestly_and_keep_limits(reply):
    messages = render_discord(reply)
    assert_discord_limits(messages)
    texts = discord_texts(messages)
    assert_discord_safe(texts)
    assert_claims_keep_marks(reply, texts, discord_displayed)
    sources = "\n".join(f.value for m in messages for e in m.embeds for f in e.fields)
    assert_source_lines_show_only_their_own_host(reply, sources.split("\n"), discord_displayed,
                                                 lambda line: _MASKED.sub(r"\1", line))


@PROPERTY
@given(replies())
def test_discord_plain_text_fallback_pings_no_one_and_keeps_2000(reply):
    chunks = render_discord_text(reply)
    assert 1 <= len(chunks) <= MAX_MESSAGES
    assert all(utf16_len(c) <= CONTENT_MAX for c in chunks)
    assert_discord_safe(chunks)
    assert_claims_keep_marks(reply, chunks, discord_displayed)


# ---- Slack ------------------------------------------------------------------------------

_SLACK_LINK = re.compile(r"<(https?://[^|<>\s]+)\|([^<>]*)>")


def slack_texts(message) -> list[tuple[str, str]]:
    out = [("mrkdwn", message.text)]
    for block in message.blocks:
        if "text" in block:
            out.append((block["text"]["type"], block["text"]["text"]))
        out += [(el["type"], el["text"]) for el in block.get("elements", [])]
    return out


def slack_displayed(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@PROPERTY
@given(replies())
def test_slack_blocks_ping_no_one_link_honestly_and_keep_limits(reply):
    message = render_slack(reply)
    json.dumps(message.blocks, ensure_ascii=False).encode("utf-8")
    assert_slack_limits(message)
    texts = slack_texts(message)
    for kind, text in texts:
        assert len(text) <= MAX_TEXT
        assert_utf8(text)
        for m in _SLACK_LINK.finditer(text):
            assert hosts_in(slack_displayed(m.group(2))) <= {host_of(m.group(1))}, m.group(0)
        bare = _SLACK_LINK.sub("LINK", text)
        assert "<" not in bare and ">" not in bare, bare[:300]
        assert not re.search(r"&(?!amp;|lt;|gt;)", bare), bare[:300]
        if kind == "mrkdwn":
            assert not re.search(r"@(everyone|here|channel)\b", text, re.I), text[:300]
    assert_claims_keep_marks(reply, [t for k, t in texts if k == "plain_text"], slack_displayed)
    lines = [line for k, t in texts[1:] if k == "mrkdwn" for line in t.split("\n")
             if re.match(r"\[\d+\] ", line)]
    assert_source_lines_show_only_their_own_host(reply, lines, slack_displayed,
                                                 lambda line: _SLACK_LINK.sub(r"\2", line))


# ---- the terminal ---------------------------------------------------------------------------

@PROPERTY
@given(replies())
def test_console_text_is_clean_utf8_with_marks_and_honest_sources(reply):
    out = render_console(reply)
    assert_utf8(out)
    unwrapped = re.sub(r"\s+", " ", out)
    assert_claims_keep_marks(reply, [unwrapped])
    entries = re.findall(r"^(\[\d+\] [^\n]*)(?:\n    ([^\n]*))?", out, re.M)
    # the title line, with the URL printed under it (not an origin file name) appended
    lines = [first + (f" {below}" if below.startswith(("http://", "https://")) else "")
             for first, below in entries[-len(reply.sources):]] if reply.sources else []
    assert len(lines) == len(reply.sources)
    assert_source_lines_show_only_their_own_host(reply, lines, lambda t: t, lambda t: t)


def assert_source_lines_show_only_their_own_host(reply, lines, unescape, unlink) -> None:
    """The only host name a source line shows is its own link's (none without a link)."""
    by_n = {s.n: s for s in reply.sources}
    for line in lines:
        m = re.match(r"\[(\d+)\] ", line)
        if not m or int(m.group(1)) not in by_n:
            continue
        source = by_n[int(m.group(1))]
        urls = re.findall(r"https?://[^\s)|>]+", line)
        own = host_of(urls[0]) if urls else None
        shown = hosts_in(unescape(unlink(line)))
        assert shown <= ({own} if own else set()), (line, source.url)
