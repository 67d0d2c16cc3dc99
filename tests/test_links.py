"""Honest links (issue 9.5): a source's link is never labelled with another site's name."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.console import render as render_console
from adapters.discord.render import render as render_discord
from adapters.slack.render import render as render_slack
from bot.core import Claim, Reply, Section, Source
from bot.links import LinkLabel, defuse, domain_of, looks_like_link, names_other_host, safe_link, source_view

EVIL = "https://evil.example/phish?a=1"


def reply_citing(title: str, url: str | None, publisher: str | None = "BBC") -> Reply:
    return Reply(sections=(Section.cited([Claim("Talks resumed.", (1,))]),), title="Latest",
                 sources=(Source(1, 1, title, publisher, datetime(2025, 10, 17), url),))


def test_safe_link_follows_only_plain_http_addresses():
    assert safe_link("https://www.bbc.co.uk/news/a_(1)?x=1&y=<2>|z") == (
        "https://www.bbc.co.uk/news/a_%281%29?x=1&y=%3C2%3E%7Cz")
    assert safe_link("HTTPS://WWW.BBC.CO.UK") == "https://www.bbc.co.uk"
    assert safe_link("https://bücher.example/ä") == "https://xn--bcher-kva.example/%C3%A4"
    for bad in ("javascript:alert(1)", "ftp://x.example/", "https://www.bbc.co.uk@evil.example/",
                "https://user:pw@evil.example/", "https://a b.example/", "https://a..b/",
                "https://[::1]/", "//evil.example", "", None, "https://" + "a" * 2000 + ".example",
                "https://x.example/" + "é" * 500):
        assert safe_link(bad) is None, bad


def test_domain_is_the_host_a_reader_is_sent_to():
    assert domain_of("https://www.bbc.co.uk/news") == "bbc.co.uk"
    assert domain_of("https://EVIL.example:8443/x") == "evil.example"
    assert domain_of("https://www.com/") == "www.com"
    assert domain_of("https://bbc.co.uk@evil.example/") is None


@pytest.mark.parametrize("title", [
    "https://www.bbc.co.uk/news/world-123",
    "www.bbc.co.uk",
    "Breaking: bbc.co.uk reports talks",
    "ｂｂｃ．ｃｏ．ｕｋ",  # full-width letters and dots
    "bbc\u2024co\u2024uk",  # one-dot leaders
    "bbс.co.uk",  # Cyrillic es
    "bbc.\u00adco.uk",  # a soft hyphen some platforms keep
    "paypal\u3002com login",  # ideographic full stop
    "hxxps://bbc.co.uk",
])
def test_a_title_naming_another_host_is_defused_and_the_link_is_labelled_by_its_domain(title):
    view = source_view(Source(1, 1, title, "BBC", None, EVIL))
    assert view.label is LinkLabel.DOMAIN and view.domain == "evil.example"
    assert not names_other_host(view.title, EVIL)  # nothing left that reads as a host
    assert not re.search(r"\w\.\w", view.title)


@pytest.mark.parametrize("title", [
    "Summit set for Budapest", "U.S. and U.K. agree 3.5bn deal, e.g. Ph.D. grants",
    "What evil.example found", "www.evil.example says", "Talks (evil.example)."])
def test_a_title_naming_no_other_host_is_the_link_label(title):
    view = source_view(Source(1, 1, title, "evil.example", None, EVIL))
    assert view.label is LinkLabel.TITLE and view.title == title
    assert view.publisher == "evil.example"


def test_without_a_followable_url_nothing_is_linked_and_hosts_are_defused():
    view = source_view(Source(1, 1, "See bbc.co.uk", "https://bbc.co.uk", None, "javascript:x()"))
    assert view.label is LinkLabel.NONE and view.url is None and view.domain is None
    assert view.title == "See bbc[.]co[.]uk" and view.publisher == "https[:]//bbc[.]co[.]uk"


def test_issue_example_on_discord_slack_and_the_terminal():
    reply = reply_citing("https://www.bbc.co.uk/news/world-123", EVIL, publisher="www.bbc.co.uk")
    [message] = render_discord(reply)
    line = message.embeds[0].fields[0].value
    assert "](https://www.bbc" not in line and "[https://www.bbc" not in line
    assert line.endswith(" · [evil.example](https://evil.example/phish?a=1)")
    assert "www\\[.\\]bbc\\[.\\]co\\[.\\]uk" in line  # shown, escaped, inert

    context = render_slack(reply).blocks[-1]["elements"][0]["text"]
    assert "|https://www.bbc" not in context and "|www.bbc" not in context
    assert context == ("[1] https[:]//www[.]bbc[.]co[.]uk/news/world-123 — www[.]bbc[.]co[.]uk, "
                       "17 Oct 2025 · <https://evil.example/phish?a=1|evil.example>")

    out = render_console(reply)
    assert ("[1] https[:]//www[.]bbc[.]co[.]uk/news/world-123 — www[.]bbc[.]co[.]uk, 17 Oct 2025"
            " · evil.example\n    https://evil.example/phish?a=1\n") in out


def test_an_honest_source_shows_its_title_as_the_link_and_its_domain_beside_it():
    reply = reply_citing("Summit set for Budapest", "https://www.bbc.co.uk/news/1")
    line = render_discord(reply)[0].embeds[0].fields[0].value
    assert line == ("[1] [Summit set for Budapest](https://www.bbc.co.uk/news/1) — BBC, "
                    "17 Oct 2025 · bbc.co.uk")
    context = render_slack(reply).blocks[-1]["elements"][0]["text"]
    assert context == ("[1] <https://www.bbc.co.uk/news/1|Summit set for Budapest> — BBC, "
                       "17 Oct 2025 · bbc.co.uk")
    assert "[1] Summit set for Budapest — BBC, 17 Oct 2025 · bbc.co.uk\n" in render_console(reply)


WORDS = st.lists(st.one_of(
    st.sampled_from(["bbc.co.uk", "www.bbc.co.uk", "evil.example", "https://evil.example/x",
                     "ｅｖｉｌ．ｅｘａｍｐｌｅ", "a\u00ad.bc", "U.S.", "3.5", "(bbc.co.uk).", "e\u0301",
                     "http://", "x:/y", "\u3002", "news"]),
    st.text(max_size=10)), max_size=8).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(WORDS, st.sampled_from([None, EVIL, "https://www.bbc.co.uk/p", "javascript:alert(1)"]))
def test_defused_text_names_no_foreign_host_and_clean_words_are_kept(text, url):
    out = defuse(text, url)
    assert not names_other_host(out, url)
    assert defuse(out, url) == out
    for before, after in zip(text.split(" "), out.split(" "), strict=True):
        if not looks_like_link(before):
            assert after == before
