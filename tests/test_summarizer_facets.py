"""The "when" facet: which sentences say when something happens."""

from __future__ import annotations

import pytest

from summarizer.facets import says_when


@pytest.mark.parametrize("text", [
    "No firm date was set; no communiqué clasped hands across the table.",
    "A meeting in Hungary would follow lower-level talks next week.",
    "They agreed to a summit in Hungary within the next two weeks.",
    "The summit is scheduled for March 3 in Budapest.",
    "Talks were postponed until Friday, officials said.",
    "The leaders will meet on 14 November.",
])
def test_timing_sentences_are_recognised(text):
    assert says_when(text)


@pytest.mark.parametrize("text", [
    "The Kremlin confirmed that the issue of Tomahawk missiles was discussed.",
    "An update on the situation in Kyiv followed the call.",
    "Putin has held power for more than two decades.",
    "The mayor said the city would host the summit.",
])
def test_other_sentences_are_not(text):
    assert not says_when(text)
