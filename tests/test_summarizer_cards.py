"""Story cards: two or three sentences that each read on their own, with the facets a
reader wants (what happened, where and when, what it means)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summarizer.cards import (Facet, card_sentences, opens_a_card, readable, says_what_it_means,
                              says_where, story_card)
from summarizer.filters import junk_reason
from summarizer.lexical import dangles
from summarizer.sentences import split_sentences
from summarizer.types import Sentence

FLOODS = """\
Heavy rain flooded large parts of eastern Spain, forcing thousands of residents to leave their homes.
What We Know So Far
It was the third storm this month.
'It was terrifying, the water came up to the windows.
Emergency services said at least 40 people had been rescued from cars and rooftops in Valencia on Tuesday.
The regional government asked the army to help with rescues.
Click here to subscribe to our daily newsletter.
Forecasters said more rain is expected on Wednesday, raising fears of further flooding across the region.
Insurers put the damage at hundreds of millions of euros.
"""

QUAKE = """\
A strong earthquake struck off the coast of northern Japan, shaking buildings in Sendai.
The Japan Meteorological Agency said the quake had a magnitude of 6.8.
A tsunami advisory was lifted two hours later.
Officials warned that aftershocks could continue for several days.
"""


def sentences_of(text: str, encoder, article_id: int = 1) -> list[Sentence]:
    texts = split_sentences(text)
    vectors = encoder.encode(texts)
    return [Sentence(id=100 * article_id + i, article_id=article_id, position=i, text=t,
                     embedding=v) for i, (t, v) in enumerate(zip(texts, vectors))]


def test_a_card_tells_what_where_when_and_what_it_means_without_fragments(encoder):
    card = card_sentences(sentences_of(FLOODS, encoder))
    texts = [s.text for s, _ in card]
    assert 2 <= len(card) <= 3
    assert texts[0].startswith("Heavy rain flooded")  # what happened comes first
    facets = {f for _, f in card}
    assert Facet.WHAT in facets
    assert any(says_where(t) or "Tuesday" in t or "Wednesday" in t for t in texts[1:])
    assert any(says_what_it_means(t) for t in texts)
    assert [s.position for s, _ in card] == sorted(s.position for s, _ in card)
    for text in texts:  # no subheading, no dangling "It was...", no quote fragment, no furniture
        assert junk_reason(text) is None and not dangles(text), text
    assert "What We Know So Far" not in texts and not any(t.startswith(("It ", "'")) for t in texts)


def test_when_the_lead_already_says_where_the_next_slot_goes_to_what_it_means(encoder):
    card = card_sentences(sentences_of(QUAKE, encoder))
    texts = [s.text for s, _ in card]
    assert texts[0].startswith("A strong earthquake") and says_where(texts[0])
    assert "Officials warned that aftershocks could continue for several days." in texts


def test_a_short_article_is_topped_up_from_the_next_article_of_the_story(encoder):
    thin = sentences_of("Japan lifted its tsunami advisory after a strong earthquake near Sendai.\n"
                        "It said so.", encoder, article_id=2)
    other = sentences_of(QUAKE, encoder, article_id=3)
    card = story_card([thin, other])
    assert card[0].article_id == 2
    assert 2 <= len(card) <= 3 and {s.article_id for s in card} == {2, 3}


def test_an_article_of_fragments_gives_no_card(encoder):
    junk = sentences_of("Live Updates\nIt was bad.\n'We will rebuild.\nRead more at our site.\n"
                        "N) chairman apologized on Wednesday for the catastrophic oil spill.\n"
                        "Leaders of both countries had a 'good and productive call'", encoder)
    assert card_sentences(junk) == []


@pytest.mark.parametrize("text, where, means", [
    ("Protesters gathered in Cairo on Friday.", True, False),
    ("The ship sank off the Chilean coast.", True, False),
    ("The ship sank off Chile after a storm hit the fleet.", True, False),
    ("Talks will resume next week, officials said.", False, True),
    ("The decision raises fears of a wider conflict in the region.", False, True),
    ("In May the council approved the plan.", False, False),
])
def test_facet_cues(text, where, means):
    assert says_where(text) is where
    assert says_what_it_means(text) is means


WORDS = st.sampled_from(["The", "council", "said", "It", "But", "'We", "Paris", "will", "on",
                         "Monday", "fire", "in", "Rome", "40", "people", "died", "later", "?",
                         "Read", "more", "here", "\"", "newsletter", "rose", "sharply"])


SENTENCE = st.tuples(st.lists(WORDS, min_size=1, max_size=14).map(" ".join),
                     st.sampled_from(["", ".", "!", "?", "'"])).map("".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(SENTENCE, min_size=0, max_size=12),
       st.integers(min_value=0, max_value=4), st.randoms(use_true_random=False))
def test_any_article_gives_readable_verbatim_sentences_in_order(texts, limit, rnd):
    vectors = np.array([[rnd.random() for _ in range(8)] for _ in texts], dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9) if len(texts) else 1
    given_ = [Sentence(id=i, article_id=1, position=i, text=t, embedding=v)
              for i, (t, v) in enumerate(zip(texts, vectors))]
    card = card_sentences(list(reversed(given_)), max_sentences=limit)
    assert len(card) <= limit
    positions = [s.position for s, _ in card]
    assert positions == sorted(set(positions))
    for s, facet in card:
        assert s.text == texts[s.position] and readable(s.text) and isinstance(facet, Facet)
    if card:
        assert opens_a_card(card[0][0].text)
