"""Query-focused multi-document summaries with the real MiniLM encoder."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from summarizer.extractive import ExtractiveSummarizer
from summarizer.types import Sentence

OCT16 = datetime(2025, 10, 16, 9, 0, tzinfo=UTC)
OCT17 = datetime(2025, 10, 17, 9, 0, tzinfo=UTC)
AUG08 = datetime(2025, 8, 8, tzinfo=UTC)

ARTICLES = {
    # article_id: (published, sentences)
    1: (OCT17, [
        "Donald Trump and Vladimir Putin agreed on Thursday to hold a summit in Budapest within two weeks.",
        "Hungarian Prime Minister Viktor Orban said his government was ready to host the meeting in Budapest.",
        "No date has been set for the Budapest summit, a Kremlin spokesman told reporters.",
        "Subscribe to our newsletter for the latest on the Budapest summit.",
        "Will the Budapest summit really happen?",
    ]),
    2: (OCT16, [
        "Donald Trump and Vladimir Putin agreed Thursday to hold a summit in Budapest within two weeks.",
        "Ukrainian officials fear the planned summit in Hungary could sideline Kyiv in any peace talks.",
        "The Budapest summit follows a two-hour phone call between the two presidents.",
    ]),
    3: (AUG08, [
        "Manchester United beat Liverpool 2-1 at Old Trafford on Sunday afternoon.",
        "The winning goal came in the 88th minute from a header at a corner.",
        "The manager praised his players for their fighting spirit after the match.",
    ]),
    4: (None, [
        "A severe drought has left reservoirs in southern Spain at a third of their capacity.",
        "Farmers in Andalusia say olive harvests could fall by half this year.",
        "Regional authorities have imposed limits on water use for gardens and pools.",
    ]),
}


def build(encoder, articles=ARTICLES, *, with_embeddings=True) -> list[Sentence]:
    texts = [(aid, pub, pos, text) for aid, (pub, lines) in articles.items() for pos, text in enumerate(lines)]
    emb = encoder.encode([t[3] for t in texts]) if with_embeddings else [None] * len(texts)
    return [Sentence(id=100 * aid + pos, article_id=aid, position=pos, text=text, published=pub,
                     embedding=emb[k])
            for k, (aid, pub, pos, text) in enumerate(texts)]


@pytest.fixture(scope="module")
def summarizer(encoder):
    return ExtractiveSummarizer(encoder)


@pytest.fixture(scope="module")
def sentences(encoder):
    return build(encoder)


def ids(summary) -> list[int]:
    return [s.id for s in summary.sentences]


def assert_verbatim(summary, given: list[Sentence]) -> None:
    by_id = {s.id: s for s in given}
    for s in summary.sentences:
        assert s.id in by_id, f"sentence {s.id} was not in the input"
        assert s.text == by_id[s.id].text and s.article_id == by_id[s.id].article_id


def test_budapest_query_picks_budapest_sentences_and_nothing_unrelated(summarizer, sentences):
    out = summarizer.summarize(sentences, query="Budapest summit", budget_words=120)
    articles = {s.article_id for s in out.sentences}
    assert len(out.sentences) >= 2
    assert articles <= {1, 2}, [s.text for s in out.sentences]
    assert any("Budapest" in s.text for s in out.sentences)
    assert_verbatim(out, sentences)


def test_boilerplate_and_questions_are_never_chosen(summarizer, sentences):
    out = summarizer.summarize(sentences, query="Budapest summit", budget_words=500)
    texts = [s.text for s in out.sentences]
    assert not any(t.startswith("Subscribe") for t in texts)
    assert not any(t.endswith("?") for t in texts)


def test_near_identical_sentences_from_two_publishers_appear_once(summarizer, sentences):
    out = summarizer.summarize(sentences, query="Budapest summit", budget_words=500)
    agreed = [s for s in out.sentences if "agreed" in s.text and "within two weeks" in s.text]
    assert len(agreed) == 1, [s.text for s in out.sentences]


@pytest.mark.parametrize("newer", [1, 2])
def test_prefer_recent_takes_the_newer_copy_and_reads_newest_first(encoder, summarizer, newer):
    older = 3 - newer
    articles = {aid: (pub, lines) for aid, (pub, lines) in ARTICLES.items()}
    articles[newer] = (OCT17, ARTICLES[newer][1])
    articles[older] = (OCT16 - (OCT17 - OCT16) * 3, ARTICLES[older][1])
    given = build(encoder, articles)
    out = summarizer.summarize(given, query="Budapest summit", budget_words=500, prefer_recent=True)
    agreed = [s for s in out.sentences if "agreed" in s.text and "within two weeks" in s.text]
    assert [s.article_id for s in agreed] == [newer]
    dates = [s.published for s in out.sentences]
    assert dates == sorted(dates, reverse=True)


def test_unknown_dates_are_neutral_not_newest(encoder, summarizer):
    articles = {
        1: (OCT17, ["Trade ministers met in Geneva to discuss new tariffs on steel imports."]),
        2: (None, ["Trade ministers met in Geneva on Friday to discuss tariffs on steel imports."]),
    }
    out = summarizer.summarize(build(encoder, articles), query="steel tariffs Geneva", budget_words=100,
                               prefer_recent=True)
    assert [s.article_id for s in out.sentences] == [1]


@pytest.mark.parametrize("budget", [15, 30, 45, 80])
def test_word_budget_is_respected(summarizer, sentences, budget):
    out = summarizer.summarize(sentences, query="Budapest summit", budget_words=budget)
    assert sum(len(s.text.split()) for s in out.sentences) <= budget
    assert out.sentences, "a budget of 15+ words fits at least one Budapest sentence"


def test_more_budget_gives_more_but_never_unrelated(summarizer, sentences):
    small = summarizer.summarize(sentences, query="Budapest summit", budget_words=20)
    large = summarizer.summarize(sentences, query="Budapest summit", budget_words=400)
    assert len(large.sentences) > len(small.sentences)
    assert {s.article_id for s in large.sentences} <= {1, 2}


def test_same_answer_whatever_the_input_order(summarizer, sentences):
    shuffled = list(sentences)
    random.Random(7).shuffle(shuffled)
    a = summarizer.summarize(sentences, query="Budapest summit", budget_words=80)
    b = summarizer.summarize(shuffled, query="Budapest summit", budget_words=80)
    assert ids(a) == ids(b)


def test_missing_embeddings_are_computed(encoder, summarizer):
    given = build(encoder, with_embeddings=False)
    out = summarizer.summarize(given, query="drought in Spain", budget_words=60)
    assert out.sentences and {s.article_id for s in out.sentences} == {4}
    assert_verbatim(out, given)


def test_topic_with_no_coverage_gives_an_empty_summary(summarizer, sentences):
    out = summarizer.summarize(sentences, query="Apple iPhone sales in Japan", budget_words=120)
    assert out.sentences == ()


def test_headline_only_coverage_still_answers(encoder, summarizer):
    articles = {7: (OCT17, ["JD Vance about 2028 election after Trump calls him GOP frontrunner",
                            "Markets rallied on Friday as oil prices fell for a third day."])}
    out = summarizer.summarize(build(encoder, articles), query="JD Vance", budget_words=60)
    assert [s.position for s in out.sentences] == [0]


def test_no_query_summarises_the_set(summarizer, sentences):
    out = summarizer.summarize(sentences, query=None, budget_words=60)
    assert out.sentences
    assert sum(len(s.text.split()) for s in out.sentences) <= 60
    assert_verbatim(out, sentences)


@pytest.mark.parametrize("newer", [1, 2])
def test_exact_repeat_keeps_the_newest_copy_when_asked_for_the_latest(encoder, summarizer, newer):
    line = "Donald Trump and Vladimir Putin agreed on Thursday to hold a summit in Budapest within two weeks."
    articles = {newer: (OCT17, [line]), 3 - newer: (OCT16, [line])}
    out = summarizer.summarize(build(encoder, articles), query="Budapest summit", budget_words=100,
                               prefer_recent=True)
    assert [s.article_id for s in out.sentences] == [newer]


GENEVA = {
    # Both sources report the submarine deal in their own words; each also has a
    # flourish that names the summit and says nothing.
    1: (OCT17, [
        "The presidents of France and Brazil agreed on Monday to hold a summit in Geneva next month.",
        "Officials said the two leaders also discussed the sale of French submarines to the Brazilian navy.",
        "The Geneva summit is a meeting the whole world will be watching closely.",
    ]),
    2: (OCT16, [
        "France and Brazil will meet at a summit in Geneva in December, their foreign ministers announced.",
        "A deal for four French-built submarines for Brazil's navy was on the table, diplomats confirmed.",
        "Many hope that the Geneva summit will turn out to be a turning point in history.",
    ]),
}


@pytest.mark.parametrize("prefer_recent", [True, False])
def test_a_fact_two_sources_report_beats_a_sentence_that_only_names_the_query(encoder, summarizer,
                                                                               prefer_recent):
    given = build(encoder, GENEVA)
    # Room for two sentences: the announcement and one more.
    out = summarizer.summarize(given, query="Geneva summit", budget_words=40, prefer_recent=prefer_recent)
    texts = [s.text for s in out.sentences]
    assert len(texts) == 2, texts
    assert any("submarines" in t for t in texts), texts
    assert not any("watching closely" in t or "turning point" in t for t in texts), texts
    assert_verbatim(out, given)



def test_a_bonus_lifts_an_on_topic_sentence_into_a_short_answer(summarizer, sentences):
    plain = summarizer.summarize(sentences, query="Budapest summit", budget_words=20)
    favoured = next(s for s in sentences if s.id not in ids(plain) and s.article_id == 2
                    and "Hungary" in s.text)
    lifted = summarizer.summarize(sentences, query="Budapest summit", budget_words=20,
                                  bonus={favoured.id: 1.0})
    assert favoured.id in ids(lifted)


def test_a_bonus_never_brings_in_an_off_topic_sentence(summarizer, sentences):
    football = [s.id for s in sentences if s.article_id == 3]
    out = summarizer.summarize(sentences, query="Budapest summit", budget_words=400,
                               bonus=dict.fromkeys(football, 5.0))
    assert out.sentences and not set(football) & set(ids(out))


CARRY = {
    7: (OCT17, [
        "Donald Trump and Vladimir Putin agreed by phone to hold a summit in Budapest.",
        "No date has been set for it yet.",
        "Hungary's foreign minister welcomed the Budapest summit plan on Friday.",
    ]),
    8: (OCT16, ["Heavy rain flooded streets in Lisbon on Thursday morning."]),
}


def test_a_short_follow_on_sentence_comes_with_the_one_it_continues(encoder, summarizer):
    given = build(encoder, CARRY)
    out = summarizer.summarize(given, query="Budapest summit", budget_words=400)
    texts = [s.text for s in out.sentences]
    assert "No date has been set for it yet." in texts
    at = texts.index("No date has been set for it yet.")
    assert at > 0 and texts[at - 1].startswith("Donald Trump and Vladimir Putin agreed")
    assert_verbatim(out, given)


def test_a_follow_on_sentence_is_never_shown_without_its_predecessor(encoder, summarizer):
    given = build(encoder, CARRY)
    # 9 words: room for the follow-on (8) but not for what it continues (14)
    out = summarizer.summarize(given, query="Budapest summit", budget_words=9)
    assert "No date has been set for it yet." not in [s.text for s in out.sentences]
