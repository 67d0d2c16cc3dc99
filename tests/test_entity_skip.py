"""Entity recognition skips sentences that cannot name anyone (a speed lever only).

The mentions a user's `who` and `timeline` read must be those the whole spaCy pipeline
finds on every sentence, apart from common words it mistook for names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.index.entities import entity_docs, extract_mentions, nameless
from bot.index.shared import shared_nlp
from summarizer.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _rows(mentions) -> set:
    return {(m.sentence, m.surface, m.name, m.label, m.role) for m in mentions}


@pytest.fixture(scope="module")
def nlp():
    return shared_nlp(Settings().spacy_model)


def test_skipping_nameless_sentences_loses_only_common_words_taken_for_names(nlp):
    articles = [split_sentences(p.read_text("utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    flat = [s for a in articles for s in a]
    assert 0 < sum(nameless(flat)) < len(flat)
    whole = list(nlp.pipe(flat))  # every component, every sentence
    quick = entity_docs(nlp, flat)
    at, kept, lost = 0, 0, []
    for a in articles:
        expected = _rows(extract_mentions(whole[at:at + len(a)], a))
        mine = _rows(extract_mentions(quick[at:at + len(a)], a))
        assert mine <= expected
        kept += len(mine)
        lost += [(m, " ".join(a).lower()) for m in expected - mine]
        at += len(a)
    assert kept > 100
    # what is skipped is a capitalised first word the same article writes in lower case
    # ("Café owners count ..." tagged a PERSON): never a name
    for (_, surface, _, _, _), text in lost:
        assert " " not in surface and f" {surface.lower()} " in f" {text} "
    assert len(lost) <= kept // 50


def test_which_sentences_cannot_name_anyone():
    sentences = ["Protesters gathered in Cairo on Friday.",
                 "Protesters said the police fired tear gas.",
                 "He said the talks went well.",
                 "Egypt said nothing more.",
                 "Officials in Egypt were quiet.",
                 "the protesters were angry.",
                 "Later that day the crowd left."]
    assert nameless(sentences) == [False, True, True, False, False, True, False]
