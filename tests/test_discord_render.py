"""A hostile corpus through the Discord renderer: plain text, within limits, citations kept."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

import pytest

from adapters.discord.escape import plain, safe_url, strip_invisible, utf16_len
from adapters.discord.render import (
    CONTENT_MAX, DESCRIPTION_MAX, EMBED_TOTAL_MAX, EMBEDS_PER_MESSAGE, FIELD_NAME_MAX,
    FIELD_VALUE_MAX, FIELDS_PER_EMBED, FOOTER_MAX, MAX_MESSAGES, TITLE_MAX, render, render_text)
from bot.core import Claim, Reply, Section, Source
from bot.text_hygiene import clean_text

# What Discord would turn into a ping, a link, a channel or command reference.
LIVE_SYNTAX = [
    re.compile(r"@(everyone|here)", re.I),
    re.compile(r"<@!?\d+>"),
    re.compile(r"<@&\d+>"),
    re.compile(r"<#\d+>"),
    re.compile(r"</[\w -]+:\d+>"),
    re.compile(r"<t:\d+(:\w)?>"),
    re.compile(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\((?!https://example\.com)"),  # masked link
]

HOSTILE = [
    "@everyone the summit is cancelled",
    "@here read this now",
    "@Everyone and @HERE in capitals",
    "ping <@123> and <@!123456789012345678> and <@&456> and <#789>",
    "slash mention </ban:123456789012345678> and time <t:1700000000:R>",
    "zero width @\u200beveryone and @\u200deveryone and @\ufeffhere",
    "right-to-left \u202e@everyone\u202c and isolate \u2066@here\u2069",
    "bidi mention <\u200f@\u200e123456789012345678>",
    "hangul filler @\u3164everyone",
    "**bold** __underline__ *it* ~~strike~~ ||spoiler|| `code` ```block```",
    "[free money](https://evil.example/phish) and [x](<https://evil.example>)",
    "# Heading\n## Sub\n-# subtext\n> quote\n>>> block quote\n- list",
    "back\\slash escape \\@everyone and \\<@123456789012345678>",
    "emoji 🎉🎉🎉 with combining e\u0301 and CJK 北京峰会",
]


def displayed(markdown: str) -> str:
    """What a Discord reader sees: backslash escapes resolved, our zero-width breaks gone."""
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", markdown).replace("\u200b", "")


def all_text(messages) -> list[str]:
    texts = []
    for m in messages:
        if m.content:
            texts.append(m.content)
        for e in m.embeds:
            texts += [e.title or "", e.description or "", e.footer.text or ""]
            for f in e.fields:
                texts += [f.name, f.value]
    return texts


def assert_within_limits(messages) -> None:
    assert 1 <= len(messages) <= MAX_MESSAGES
    for m in messages:
        assert len(m.embeds) <= EMBEDS_PER_MESSAGE
        total = 0
        for e in m.embeds:
            assert utf16_len(e.title or "") <= TITLE_MAX
            assert utf16_len(e.description or "") <= DESCRIPTION_MAX
            assert utf16_len(e.footer.text or "") <= FOOTER_MAX
            assert len(e.fields) <= FIELDS_PER_EMBED
            total += utf16_len(e.title or "") + utf16_len(e.description or "")
            total += utf16_len(e.footer.text or "")
            for f in e.fields:
                assert utf16_len(f.name) <= FIELD_NAME_MAX
                assert 0 < utf16_len(f.value) <= FIELD_VALUE_MAX
                total += utf16_len(f.name) + utf16_len(f.value)
        assert total <= EMBED_TOTAL_MAX


def assert_plain(texts) -> None:
    for text in texts:
        for pattern in LIVE_SYNTAX:
            assert not pattern.search(text), (pattern.pattern, text[:200])
        for i, ch in enumerate(text):
            if ch == "\u200b":
                assert i and text[i - 1] in "@<", text[max(0, i - 20):i + 20]
            else:
                assert unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n", repr(ch)


def cited(sentences: list[str]) -> Reply:
    claims = [Claim(f"Sentence {k} says {s} and ends here", (k % 9 + 1,))
              for k, s in enumerate(sentences)]
    sources = tuple(Source(n, n, f"Source @everyone {n} [x](https://evil.example)",
                           "Pub <@&456>", datetime(2025, 10, n), f"https://example.com/{n}_(a)")
                    for n in range(1, 10))
    return Reply(sections=(Section.cited(claims, heading="@here **Heading**"),),
                 title="<@&456> @everyone title " + "T" * 400, sources=sources)


@pytest.mark.parametrize("text", HOSTILE)
def test_each_hostile_text_is_shown_as_the_same_plain_text(text):
    reply = Reply(sections=(Section.cited([Claim(text, (1,))]),), title=text)
    messages = render(reply)
    assert_plain(all_text(messages))
    assert_within_limits(messages)
    raw = messages[0].embeds[0].description
    # every formatting character is escaped (a backslash counts as escaped when doubled)
    assert not re.search(r"(?<!\\)[*_~|`]", raw.replace("\\\\", "")), raw
    assert not re.search(r"^\s*(?:#|>|-)", raw, re.M), raw
    shown = displayed(raw)
    visible = strip_invisible(clean_text(text))  # as briefbot shows any text: NFC, no bidi
    for line in visible.split("\n"):
        assert " ".join(line.split()) in shown
    assert shown.endswith(" [1]")


def test_hostile_corpus_in_one_reply_keeps_every_citation_with_its_sentence():
    reply = cited(HOSTILE * 3)
    messages = render(reply)
    assert_within_limits(messages)
    assert_plain(all_text(messages))
    descriptions = [e.description for m in messages for e in m.embeds if e.description]
    for k in range(len(HOSTILE) * 3):
        n = k % 9 + 1
        homes = [d for d in descriptions if f"Sentence {k} says" in d]
        assert len(homes) == 1, k
        assert re.search(rf"Sentence {k} says .*? and ends here \[{n}\]", homes[0], re.S)


def test_a_10000_character_sentence_is_left_out_whole_with_a_note():
    giant = "@everyone " + "word " * 2000
    reply = cited(["short one", giant.strip(), "short two"])
    messages = render(reply)
    assert_within_limits(messages)
    assert_plain(all_text(messages))
    shown = "\n".join(e.description or "" for m in messages for e in m.embeds)
    assert "Sentence 0 says short one and ends here [1]" in shown
    assert "Sentence 2 says short two and ends here [3]" in shown
    assert "Sentence 1 says" not in shown  # never shown cut
    footer = messages[-1].embeds[-1].footer.text
    assert "10,0" in footer and "[2]" in footer and "left out" in footer


def test_long_answers_split_between_sentences_and_stop_with_a_note():
    sentences = [f"{'ünïcødé 🎉 ' * 30}number {k}" for k in range(300)]
    messages = render(cited(sentences))
    assert len(messages) == MAX_MESSAGES
    assert_within_limits(messages)
    descriptions = [e.description for m in messages for e in m.embeds if e.description]
    assert len(descriptions) > 1
    for d in descriptions:
        # every chunk starts with a sentence and ends with a citation
        assert d.startswith(("**", "Sentence ")) and re.search(r"\[\d\]$", d)
    assert "longer than Discord allows" in messages[-1].embeds[-1].footer.text
    # the sources survive the trimming, so every [n] shown can still be followed
    fields = [f.value for m in messages for e in m.embeds for f in e.fields]
    assert [re.match(r"\[(\d+)\]", line)[1] for v in fields for line in v.split("\n")] == [
        str(n) for n in range(1, 10)]


def test_sources_are_numbered_links_with_publisher_and_date():
    reply = Reply(sections=(Section.cited([Claim("Fact", (1,)), Claim("Another", (2,))]),), sources=(
        Source(1, 1, "Summit set for Budapest", "Reuters", datetime(2025, 10, 16),
               "https://example.com/a_(1)"),
        Source(2, 2, "No link [here](https://evil.example)", None, None, "javascript:alert(1)"),
    ))
    (message,) = render(reply)
    value = message.embeds[0].fields[0].value
    first, second = value.split("\n")
    assert first == ("[1] [Summit set for Budapest](https://example.com/a_%281%29)"
                     " — Reuters, 16 Oct 2025 · example.com")
    assert second.startswith("[2] No link \\[here\\]")
    assert second.endswith("— publisher unknown, date unknown")
    assert "javascript" not in value
    assert_plain(all_text([message]))


def test_many_sources_spill_into_more_fields_and_embeds_within_limits():
    sources = tuple(Source(n, n, "A long title " * 15, "Publisher " * 5, None,
                           f"https://example.com/{n}/" + "p" * 200) for n in range(1, 120))
    messages = render(Reply(sections=(Section.cited([Claim("One", (1,))]),), sources=sources))
    assert_within_limits(messages)
    values = "\n".join(f.value for m in messages for e in m.embeds for f in e.fields)
    shown = [int(n) for n in re.findall(r"^\[(\d+)\]", values, re.M)]
    assert shown == sorted(shown) and shown[0] == 1


def test_plain_text_fallback_respects_the_content_limit():
    messages = render_text(cited(HOSTILE * 10))
    assert 1 <= len(messages) <= MAX_MESSAGES
    for content in messages:
        assert utf16_len(content) <= CONTENT_MAX
    assert_plain(messages)


def test_only_uncited_text_too_long_for_an_embed_is_split_at_sentence_gaps():
    note = " ".join(f"Help sentence number {k} explains one more thing." for k in range(200))
    cited_long = Claim(" ".join(f"Clause {k} of one quoted sentence" for k in range(200)), (4,))
    messages = render(Reply(sections=(Section.note(note), Section.cited([cited_long]))))
    descriptions = [e.description for m in messages for e in m.embeds if e.description]
    assert len(descriptions) >= 2
    shown = " ".join(descriptions)
    assert all(f"Help sentence number {k} explains one more thing." in shown for k in range(200))
    assert "Clause 0 of" not in shown  # a cited sentence is never cut, only left out
    assert "[4]" in messages[-1].embeds[-1].footer.text


def test_marks_come_from_the_claim_and_brackets_in_its_text_stay_text():
    claim = Claim("The report [2] says talks resumed [x](https://evil.example).", (1, 3))
    (message,) = render(Reply(sections=(Section.cited([claim]),)))
    text = message.embeds[0].description
    assert text.endswith(" [1][3]")
    assert displayed(text) == "The report [2] says talks resumed [x](https://evil.example). [1][3]"
    assert_plain(all_text([message]))


def test_empty_reply_still_renders_something():
    (message,) = render(Reply(sections=()))
    assert message.embeds[0].description == "Nothing to show."


def test_escape_helpers():
    assert plain("@everyone") != "@everyone" and displayed(plain("@everyone")) == "@everyone"
    assert safe_url("https://example.com/a b") is None
    assert safe_url("ftp://example.com") is None
    assert safe_url("https://example.com/(x)") == "https://example.com/%28x%29"
    assert utf16_len("🎉") == 2
