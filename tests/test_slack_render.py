"""Slack Block Kit rendering: hostile text stays text, limits hold, citations stay put."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from adapters.slack.render import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_TEXT,
    ZWSP,
    escape,
    render,
)
from bot.core import Claim, Reply, Section, Source
from bot.text_hygiene import clean_line

# Text an article or a user could send, meant to ping, to format or to spoof.
HOSTILE = [
    "<!channel> wake up",
    "<!here|here> and <!everyone>",
    "@everyone @here @channel look",
    "<@U123> and <@U123|alice> and <@W999>",
    "<!subteam^S1> and <!subteam^S1|@team>",
    "<#C123|general> <https://evil.example|innocent link> <mailto:a@b.c|mail>",
    "<\u200b!channel> and <!chan\u200bnel> and @every\u200bone and @\u2060here",
    "\u202e>lennahc!< reversed \u202c and \u2067isolated\u2069 text",
    "*bold* _italic_ ~strike~ `code` ```block``` > quote",
    "&lt;!channel&gt; already escaped & ampersand &amp; twice",
    "[link](https://evil.example) <b>html</b> :rotating_light:",
    "\u05e9\u05dc\u05d5\u05dd <!here> \u0645\u0631\u062d\u0628\u0627 mixed direction",
]
LIVE_TOKENS = re.compile(r"<[!@#]|<https?:|<mailto:")
MRKDWN_CONTROL = re.compile(r"[*_~`]")


def hostile_sentences(n: int = 60) -> list[str]:
    """Distinct hostile sentences, a few of them 10,000 characters long."""
    out = []
    for i in range(n):
        base = HOSTILE[i % len(HOSTILE)]
        if i % 17 == 5:
            base = (base + " ") * (10_000 // (len(base) + 1))
        out.append(f"Item {i}: {base}.")
    return out


def hostile_reply(n: int = 60, *, sections: int = 3) -> tuple[Reply, list[str]]:
    """A reply whose sentences carry citations [1]..[5], with hostile titles and sources."""
    sentences = hostile_sentences(n)
    claims = [Claim(s, (i % 5 + 1,)) for i, s in enumerate(sentences)]
    cited = [f"{clean_line(s)} [{i % 5 + 1}]" for i, s in enumerate(sentences)]
    per = -(-len(cited) // sections)
    secs = tuple(Section.cited(claims[k:k + per], heading=HOSTILE[k % len(HOSTILE)])
                 for k in range(0, len(cited), per))
    sources = tuple(Source(n=i + 1, article_id=i + 1, title=HOSTILE[i], publisher=HOSTILE[-i - 1],
                           published=datetime(2025, 10, 20 + i), url=url)
                    for i, url in enumerate(["https://news.example/a?x=1&y=<2>",
                                             "javascript:alert(1)", None,
                                             "https://news.example/b|c>d", "ftp://x.example/"]))
    return Reply(sections=secs, title=" ".join(HOSTILE), sources=sources), cited


def block_texts(message) -> list[tuple[str, str]]:
    """(type, text) of every text object in the message, in order."""
    out = []
    for block in message.blocks:
        if "text" in block:
            out.append((block["text"]["type"], block["text"]["text"]))
        for el in block.get("elements", []):
            out.append((el["type"], el["text"]))
    return out


def without_our_links(text: str) -> str:
    """Remove the `<url|label>` links the renderer itself writes for sources."""
    return re.sub(r"<https?://[^|<>\s]+\|[^<>]*>", "LINK", text)


def assert_untrusted_stays_text(message) -> None:
    texts = [t for _, t in block_texts(message)] + [message.text]
    for text in texts:
        bare = without_our_links(text)
        assert "<" not in bare and ">" not in bare, text[:200]
        assert not re.search(r"&(?!amp;|lt;|gt;)", bare), text[:200]
        assert not LIVE_TOKENS.search(bare)
        assert not re.search(r"[\u202a-\u202e\u2066-\u2069]", text)
    for kind, text in block_texts(message):
        if kind == "mrkdwn":
            inner = text[1:-1] if text.startswith("*") and text.endswith("*") else text
            for m in MRKDWN_CONTROL.finditer(inner):
                before = inner[m.start() - 1] if m.start() else ZWSP
                after = inner[m.end()] if m.end() < len(inner) else ZWSP
                assert before == ZWSP and after == ZWSP, inner[max(0, m.start() - 20):m.end() + 20]
            assert not re.search(r"@(everyone|here|channel)\b", text)


def assert_within_limits(message) -> None:
    assert len(message.blocks) <= MAX_BLOCKS
    for block in message.blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
    for _, text in block_texts(message):
        assert 0 < len(text) <= MAX_TEXT


def trimmed_count(message) -> int:
    for _, text in block_texts(message):
        m = re.fullmatch(r"\((\d+) more sentences? trimmed\)", text)
        if m:
            return int(m.group(1))
    return 0


def assert_citations_stay_with_sentences(message, cited: list[str]) -> None:
    """Each sentence is shown whole with its [n] in one block, or counted as trimmed."""
    bodies = [t for kind, t in block_texts(message) if kind == "plain_text"]
    shown = 0
    for sentence in cited:
        whole = escape(sentence)
        holders = [b for b in bodies if whole in b]
        if holders:
            shown += 1
            assert len(holders) == 1
        else:  # not shown whole: no piece of it may be shown either
            start = escape(sentence.split(":")[0]) + ":"
            assert not any(start + " " in b for b in bodies), sentence[:60]
    assert shown + trimmed_count(message) == len(cited)
    citations = re.findall(r"\[\d+\]", " ".join(bodies))
    assert len(citations) == shown


def test_hostile_corpus_renders_as_text_within_limits():
    reply, cited = hostile_reply(60)
    message = render(reply)
    assert_untrusted_stays_text(message)
    assert_within_limits(message)
    assert_citations_stay_with_sentences(message, cited)
    assert trimmed_count(message) >= 3  # the 10,000-character sentences cannot fit


@pytest.mark.parametrize("n", [1, 7, 120, 400])
def test_any_length_keeps_the_limits_and_the_citations(n):
    reply, cited = hostile_reply(n, sections=max(1, n // 40))
    message = render(reply)
    assert_within_limits(message)
    assert_untrusted_stays_text(message)
    assert_citations_stay_with_sentences(message, cited)


def test_long_answer_is_split_between_sentences_not_inside_them():
    claims = [Claim(f"Sentence number {i} says something fairly long about the summit in Budapest "
                    f"and what the ministers agreed there.", (i % 3 + 1,)) for i in range(200)]
    cited = [c.plain for c in claims]
    message = render(Reply(sections=(Section.cited(claims),), title="Long"))
    sections = [b for b in message.blocks if b["type"] == "section"]
    assert len(sections) > 5  # split over several blocks...
    assert_within_limits(message)
    assert_citations_stay_with_sentences(message, cited)
    for block in sections:  # ...each of which starts a sentence and ends with a citation
        assert block["text"]["text"].startswith("Sentence number ")
        assert re.search(r"\[\d\]$", block["text"]["text"])


def test_what_cannot_fit_is_trimmed_and_said():
    claims = [Claim(f"Sentence {i} is here {'x' * 2500}.", (1,)) for i in range(60)]
    message = render(Reply(sections=(Section.cited(claims),), title="Huge"))
    assert len(message.blocks) == MAX_BLOCKS
    n = trimmed_count(message)
    assert n > 0 and n + sum(b["type"] == "section" for b in message.blocks) == 60
    assert message.blocks[-1]["elements"][0]["text"] == f"({n} more sentences trimmed)"


def test_one_sentence_too_long_for_any_block_is_trimmed_not_cut():
    giant = "A" + " very" * 2500 + " long sentence."
    message = render(Reply(sections=(Section.cited(
        [Claim("Short one.", (2,)), Claim(giant, (1,)), Claim("Last one.", (3,))]),)))
    texts = [t for _, t in block_texts(message)]
    assert texts == ["Short one. [2] Last one. [3]", "(1 more sentence trimmed)"]


def test_sources_are_numbered_links_with_publisher_and_date():
    reply = Reply(sections=(Section.cited([Claim("Talks resumed.", (1,)), Claim("Nothing new.", (2,))]),),
                  title="Budapest",
                  sources=(Source(1, 10, "Summit set", "Reuters", datetime(2025, 10, 21),
                                  "https://reuters.example/s?a=1&b=2"),
                           Source(2, 11, "Local report", None, None, None)))
    message = render(reply)
    assert message.blocks[0] == {"type": "header", "text": {"type": "plain_text",
                                                            "text": "Budapest", "emoji": False}}
    context = message.blocks[-1]
    assert context["type"] == "context"
    assert context["elements"][0]["text"] == (
        "[1] <https://reuters.example/s?a=1&amp;b=2|Summit set> — Reuters, 21 Oct 2025"
        " · reuters.example\n"
        "[2] Local report")
    assert message.text == "Budapest"


def test_non_http_urls_are_not_linked():
    reply, _ = hostile_reply(5)
    context = "\n".join(el["text"] for b in render(reply).blocks if b["type"] == "context"
                        for el in b["elements"])
    assert "javascript:" not in context and "ftp:" not in context
    assert "<https://news.example/a?x=1&amp;y=%3C2%3E|" in context
    assert "<https://news.example/b%7Cc%3Ed|" in context


def test_many_sources_stay_within_context_limits():
    sources = tuple(Source(i, i, f"Title {i} " + "w" * 150, "Pub", None,
                           f"https://x.example/{i}/" + "p" * 100) for i in range(1, 400))
    message = render(Reply(sections=(Section.cited([Claim("One.", (1,))]),), sources=sources))
    assert_within_limits(message)
    last = message.blocks[-1]["elements"][-1]["text"]
    assert re.fullmatch(r"\(\d+ more sources not shown\)", last)


def test_help_style_text_keeps_its_lines():
    body = "• latest TOPIC — What's new\n• who NAME — Who someone is"
    message = render(Reply(sections=(Section.note(body, heading="Commands"),), title="help"))
    assert message.blocks[1]["text"] == {"type": "mrkdwn", "text": "*Commands*", "verbatim": True}
    assert message.blocks[2]["text"]["text"] == body


def test_marks_are_written_from_the_claims_refs():
    claims = [Claim("Mr. Smith met Gen. Jones in the U.S. capital.", (1, 2)),
              Claim("The report [2] says talks resumed.", (3,))]
    message = render(Reply(sections=(Section.cited(claims),)))
    assert [t for _, t in block_texts(message)] == [
        "Mr. Smith met Gen. Jones in the U.S. capital. [1][2] The report [2] says talks resumed. [3]"]


def test_a_long_title_is_shortened_at_a_word_for_the_header():
    message = render(Reply.plain("Body. [1]", title="word & " * 80))
    header = message.blocks[0]["text"]["text"]
    assert len(header) <= MAX_HEADER and header.endswith("…")
    assert not re.search(r"&(?!amp;)", header)
