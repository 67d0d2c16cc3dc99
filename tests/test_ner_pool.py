"""Entity extraction in worker processes (BRIEFBOT_NER_PROCESSES) and on fewer sentences.

Both are speed levers only: the mentions a user's `who` and `timeline` read must be
the ones the whole spaCy pipeline finds on every sentence in this process.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from bot.index import ner_pool
from bot.index.entities import extract_mentions, nameless
from bot.index.shared import shared_nlp
from bot.config import Settings
from summarizer.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
MODEL = Settings().spacy_model


def _seed_articles() -> list[list[str]]:
    return [split_sentences(p.read_text("utf-8")) for p in sorted(SEEDS.glob("*.txt"))]


def _rows(found: list) -> list:
    return [[(m.sentence, m.surface, m.name, m.label, m.role) for m in f] for f in found]


@pytest.fixture(scope="module")
def nlp():
    return shared_nlp(MODEL)


def test_skipping_nameless_sentences_loses_only_common_words_taken_for_names(nlp):
    articles = _seed_articles()
    flat = [s for a in articles for s in a]
    assert 0 < sum(nameless(flat)) < len(flat)
    whole = list(nlp.pipe(flat))  # every component, every sentence
    found = ner_pool.mentions_of(nlp, articles)
    at, kept, lost = 0, 0, []
    for a, mine in zip(articles, found):
        expected = set(_rows([extract_mentions(whole[at:at + len(a)], a)])[0])
        assert mine is not None and set(_rows([mine])[0]) <= expected
        kept += len(mine)
        lost += [(m, " ".join(a).lower()) for m in expected - set(_rows([mine])[0])]
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


def test_worker_processes_find_the_same_mentions_in_the_same_order(nlp):
    articles = _seed_articles()
    here = ner_pool.start_mentions(articles, nlp=nlp)()
    there = ner_pool.start_mentions(articles, name=MODEL, processes=2)()
    assert _rows(there) == _rows(here)
    assert sum(len(f or []) for f in there) > 20


def test_a_killed_worker_costs_no_mentions(nlp):
    articles = _seed_articles()
    expected = _rows(ner_pool.start_mentions(articles, nlp=nlp)())
    ner_pool.start_mentions(articles, name=MODEL, processes=2)()  # workers running
    pool = ner_pool._pools[(MODEL, 2)]
    os.kill(next(iter(pool._processes)), signal.SIGKILL)  # type: ignore[attr-defined]
    assert _rows(ner_pool.start_mentions(articles, name=MODEL, processes=2)()) == expected
    assert _rows(ner_pool.start_mentions(articles, name=MODEL, processes=2)()) == expected


def test_groups_are_whole_pieces_of_about_equal_size():
    pieces = [["s"] * n for n in (5, 1, 1, 3, 6, 2, 2)]
    groups = ner_pool._split(pieces, 2)
    assert [i for g in groups for i in g] == list(range(7))
    sizes = [sum(len(pieces[i]) for i in g) for g in groups]
    assert len(groups) == 2 and abs(sizes[0] - sizes[1]) <= 6
