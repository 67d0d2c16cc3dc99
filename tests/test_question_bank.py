"""The question bank (tests/question_bank.py) against the parser, on topics the seeded index holds.

Development templates must all parse; the held-out templates, written before the parser
and never tuned against, are reported apart and held to a lower bar.
"""

from __future__ import annotations

import pytest

from bot.commands._common import tidy_topic
from bot.questions import parse_question
from question_bank import NOW, bank_topics, build_bank, score


@pytest.fixture(scope="module")
def bank(seeded_db):
    from bot.index.store import Index

    index = Index(seeded_db)
    try:
        people, events = bank_topics(index)
    finally:
        index.close()
    assert len(people) == 3 and len(events) == 3
    return build_bank(people, events)


def _answer(registry):
    def answer(text: str):
        q = parse_question(text, registry)
        return q.command, tidy_topic(q.topic), q.window.bounds(NOW) if q.window else None
    return answer


def test_the_bank_is_big_enough_and_covers_every_window(bank):
    assert len(bank) >= 150
    assert sum(c.held_out for c in bank) >= 50
    assert len({c.window for c in bank if c.window}) >= 12


def test_every_development_question_parses(bank):
    from bot.registry import load_commands

    result = score([c for c in bank if not c.held_out], _answer(load_commands()))
    assert result.exact == 1.0, "\n".join(f"{c.text!r}: {got}" for c, got in result.misses)


def test_held_out_questions_mostly_parse(bank, capsys):
    from bot.registry import load_commands

    result = score([c for c in bank if c.held_out], _answer(load_commands()))
    with capsys.disabled():
        print(f"\nheld-out questions: {result.exact:.1%} exact "
              f"(command {result.command:.1%}, topic {result.topic:.1%}, window {result.window:.1%})")
    assert result.exact >= 0.9, "\n".join(f"{c.text!r}: {got}" for c, got in result.misses)
