"""Sentences that stand alone, key facts over filler, one fact with all its sources
(the real MiniLM encoder; the sentences are made up, the rules are what a reader sees)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_summarizer_query import build

from summarizer.extractive import ExtractiveSummarizer
from summarizer.facets import fact_density, hedges, shared_figures
from summarizer.filters import junk_reason
from summarizer.lexical import pronoun_subject

AUG20 = datetime(2025, 8, 20, 9, 0, tzinfo=UTC)
AUG21 = datetime(2025, 8, 21, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def summarizer(encoder):
    return ExtractiveSummarizer(encoder)


def texts(summary) -> list[str]:
    return [s.text for s in summary.sentences]


@pytest.mark.parametrize("heading", [
    "US President Donald Trump and Russian President Vladimir Putin had a 'good and productive call'",
    "The Soundtrack of an Escalating War",
    "Officials call the drone incursion “a provocation”",
    "What giving Tomahawks would mean (analysis)",
])
def test_a_line_without_a_full_stop_is_a_heading_not_a_sentence(heading):
    assert junk_reason(heading) == "heading or fragment (no closing punctuation)"


@pytest.mark.parametrize("sentence", [
    'He called the strike "a provocation."',
    'He called the strike "a provocation".',
    "The drone fell in a field (near Osiny).",
    "Nobody was hurt in the blast at all!",
])
def test_a_sentence_closed_inside_quotes_or_brackets_stands(sentence):
    assert junk_reason(sentence) is None


def test_a_pronoun_subject_is_shown_only_right_after_the_sentence_naming_it(encoder, summarizer):
    articles = {
        1: (AUG21, [
            "Polish defense minister Wladyslaw Kosiniak-Kamysz said a Russian drone crashed in a field near Osiny.",
            "He called the drone crash a deliberate provocation against NATO by Russia.",
            "The Polish army said the Russian drone crash was investigated by military prosecutors.",
        ]),
        2: (AUG20, [  # a page that opens on "He": who is meant was never said
            "He wants any deal on the Russian drone crash in Poland to include NATO air defences.",
            "Warsaw said the Russian drone crashed and exploded in a cornfield in eastern Poland.",
        ]),
    }
    out = summarizer.summarize(build(encoder, articles), query="Russian drone crash Poland",
                               budget_words=200, prefer_recent=True)
    shown = out.sentences
    assert not any(t.startswith("He wants") for t in texts(out))
    for k, s in enumerate(shown):
        if pronoun_subject(s.text):
            assert k > 0 and shown[k - 1].article_id == s.article_id
            assert shown[k - 1].position == s.position - 1, texts(out)


def test_one_fact_from_several_sources_is_shown_once_citing_them_all(encoder, summarizer):
    fact = "Tomahawk cruise missiles have a range of roughly 1,500 to 1,600 kilometres, officials said."
    articles = {
        1: (AUG21, [fact, "Ukraine asked Washington for Tomahawk missiles again on Friday."]),
        2: (AUG21, ["Tomahawk cruise missiles have a range of roughly 1,500 to 1,600 kilometres, US officials said.",
                    "The Kremlin warned that supplying Tomahawk missiles would be an escalation."]),
        3: (AUG20, ["A Tomahawk’s range, roughly 1,500 to 1,600 kilometres, would reach deep into Russia.",
                    "Tomahawk missiles were discussed during the two-hour call, the White House said."]),
    }
    out = summarizer.summarize(build(encoder, articles), query="Tomahawk missiles", budget_words=200)
    ranged = [s for s in out.sentences if "1,500" in s.text]
    assert len(ranged) == 1, texts(out)  # the range is stated once
    others = {s.article_id for s in out.also.get(ranged[0].id, ())}
    assert others | {ranged[0].article_id} == {1, 2, 3}
    assert texts(out)[0] == ranged[0].text  # what three sources agree on comes first


def test_a_fact_beats_a_hedge_that_names_the_topic_as_well(encoder, summarizer):
    articles = {1: (AUG21, [
        "A Russian drone crashed in Poland overnight, the Polish army said.",
        "It's unclear if investigators think the Russian drone launch in Poland may have been deliberate.",
        "Officials said the drone that crashed in Poland had a Chinese engine and flew 70 miles.",
    ])}
    out = summarizer.summarize(build(encoder, articles), query="Russian drone crashed in Poland",
                               budget_words=35)
    assert any("Chinese engine" in t for t in texts(out)), texts(out)
    assert not any(t.startswith("It's unclear") for t in texts(out))


def test_key_fact_cues():
    assert fact_density("A drone exploded in a cornfield in Osiny, 70 miles from the Ukrainian border.") == 1.0
    assert fact_density("That could mean the drone was a decoy.") == 0.0
    assert hedges("Though it's unclear if investigators think so.")
    assert not hedges("Investigators said the drone was a decoy.")
    assert shared_figures("a range of 1,500–1,600 km", "roughly 1,500–1,600 kilometres") == {"1,500", "1,600"}
    assert not shared_figures("in 2022 it rose 5%", "since 2022 ten violations")  # years are no fact


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_sentence_rules_accept_any_text(text):
    fact = fact_density(text)
    assert 0.0 <= fact <= 1.0
    assert isinstance(hedges(text), bool) and isinstance(pronoun_subject(text), bool)
    junk_reason(text)
