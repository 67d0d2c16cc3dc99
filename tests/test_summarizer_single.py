"""Single-article summaries (digest blurbs): PacSum centrality, junk filter, factory."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from summarizer import make_summarizer
from summarizer.extractive import ExtractiveSummarizer
from summarizer.filters import junk_reason
from summarizer.sentences import split_sentences
from summarizer.single import pacsum_scores
from summarizer.types import Sentence

ARTICLE = """\
Heavy rain flooded large parts of the city of Valencia on Tuesday, forcing thousands of residents to leave their homes.
The regional government declared a state of emergency and asked the army to help with rescues.
Emergency services said at least 40 people had been rescued from cars and rooftops overnight.
Click here to subscribe to our daily newsletter.
Forecasters warned that more rain was expected on Wednesday, raising fears of further flooding.
Schools and universities in the region will stay closed until the end of the week.
'It was terrifying.'
The floods are the worst to hit the region in more than thirty years, officials said.
Insurance companies expect claims to run into hundreds of millions of euros.
"""


@pytest.fixture(scope="module")
def summarizer(encoder):
    return ExtractiveSummarizer(encoder)


def article_sentences(text: str, article_id: int = 9) -> list[Sentence]:
    published = datetime(2025, 10, 29, tzinfo=UTC)
    return [Sentence(id=1000 + i, article_id=article_id, position=i, text=t, published=published)
            for i, t in enumerate(split_sentences(text))]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_returns_at_most_k_verbatim_sentences_in_article_order(summarizer, k):
    given = article_sentences(ARTICLE)
    out = summarizer.summarize_article(given, max_sentences=k)
    assert 1 <= len(out.sentences) <= k
    positions = [s.position for s in out.sentences]
    assert positions == sorted(positions)
    texts = {s.text for s in given}
    assert all(s.text in texts and s.article_id == 9 for s in out.sentences)


def test_summary_opens_with_the_news_and_skips_furniture(summarizer):
    out = summarizer.summarize_article(article_sentences(ARTICLE), max_sentences=3)
    texts = [s.text for s in out.sentences]
    assert texts[0].startswith("Heavy rain flooded")
    assert not any("subscribe" in t.lower() or t == "'It was terrifying.'" for t in texts)


def test_input_order_does_not_matter(summarizer):
    given = article_sentences(ARTICLE)
    a = summarizer.summarize_article(given, max_sentences=3)
    b = summarizer.summarize_article(list(reversed(given)), max_sentences=3)
    assert [s.id for s in a.sentences] == [s.id for s in b.sentences]


def test_empty_and_tiny_articles(summarizer):
    assert summarizer.summarize_article([], max_sentences=3).sentences == ()
    one = article_sentences("Markets closed higher.")
    assert [s.text for s in summarizer.summarize_article(one).sentences] == ["Markets closed higher."]


def test_pacsum_prefers_the_sentence_that_introduces_what_follows():
    a, b = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
    # sentences 0 and 2 say the same thing; 1 is about something else.
    emb = np.stack([a, b, a, (a + b) / np.sqrt(2)])
    score = pacsum_scores(emb, beta=0.0, lambda1=-0.5, lambda2=1.0)
    assert score[0] > score[2], "the first statement of a point beats its repetition"
    undirected = pacsum_scores(emb, beta=0.0, lambda1=1.0, lambda2=1.0)
    assert undirected[0] == pytest.approx(undirected[2])


@pytest.mark.parametrize("text, reason", [
    ("Sign up for our newsletter to get the latest news every morning.", "boilerplate"),
    ("Read more at https://example.com/story about the summit plans.", "boilerplate"),
    ("Is this the end of the road for the peace talks?", "question"),
    ("'We are going to win this thing again.'", "quote without speaker"),
    ("Budapest as Symbol and Stage", "heading or fragment (no closing punctuation)"),
    ("For Trump, Flashy Summits Come First.", "headline (title case)"),
    ("Talks resume on Monday.", "too short"),
    ("'Latin America has got a lot of cartels.", "piece of a longer quote"),
    ("‘We will not accept any deal that divides our country.", "piece of a longer quote"),
    ("US President Donald Trump and Russian President Vladimir Putin had a 'good and productive call'",
     "heading or fragment (no closing punctuation)"),
])
def test_junk_is_recognised(text, reason):
    assert junk_reason(text) == reason


@pytest.mark.parametrize("text", [
    "'We're going to see what he has to say,' Trump told reporters of Putin.",
    "Russian President Vladimir Putin arrived in Hungary on Thursday.",
    "The Kremlin confirmed that the issue of Tomahawk missiles was discussed.",
    "'The United States is not going to come to Mexico with the military,' she said Friday.",
    "The cartels could take the fight to US territory in a way al-Qaeda 'could only dream of.'",
])
def test_real_sentences_pass(text):
    assert junk_reason(text) is None


def test_factory_is_extractive_by_default(settings, encoder):
    assert isinstance(make_summarizer(settings, encoder), ExtractiveSummarizer)
