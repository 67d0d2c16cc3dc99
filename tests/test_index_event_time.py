"""Event phrases dated before the article's month are other occurrences, not this news."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.index.event_time import is_earlier_occurrence

AUG = datetime(2025, 8, 8)
OCT = datetime(2025, 10, 17)


@pytest.mark.parametrize("sentence, phrase, published", [
    ("Trump followed a combative Oval Office meeting in February.", "Oval Office meeting", AUG),
    ("The 2019 talks in Helsinki failed.", "talks in Helsinki", OCT),
    ("Unlike last year's summit in Geneva, this one has an agenda.", "summit in Geneva", OCT),
    ("The June 24 meeting in The Hague set the spending target.", "meeting in The Hague", AUG),
])
def test_an_earlier_occurrence_is_recognised(sentence, phrase, published):
    assert is_earlier_occurrence(sentence, phrase, published)


@pytest.mark.parametrize("sentence, phrase, published", [
    ("Trump and Putin plan a summit in Budapest in November.", "summit in Budapest", OCT),
    ("The meeting in Alaska on August 15 produced no deal.", "meeting in Alaska", datetime(2025, 8, 22)),
    ("The meeting may happen in the Oval Office soon.", "meeting", AUG),  # "may" is no month
    ("In February, prices rose; the summit in Budapest is next week.", "summit in Budapest", OCT),
    ("A combative meeting in February.", "meeting in February", None),  # undated article
])
def test_the_same_or_an_upcoming_occurrence_is_not(sentence, phrase, published):
    assert not is_earlier_occurrence(sentence, phrase, published)
