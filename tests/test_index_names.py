"""Cleaning names and reading roles: the rules that run after spaCy (no models needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.index.entities import clean_person, name_key, role_near, rule_spans
from bot.index.text import fold, fold_unicode


@pytest.mark.parametrize("raw, name", [
    ("President Volodymyr Zelenskyy", "Volodymyr Zelenskyy"),
    ("Mr. Zelensky", "Zelensky"),
    ("Zelensky's", "Zelensky"),
    ("Trump’s Peace", "Trump"),
    ("Russian President Vladimir Putin", "Vladimir Putin"),
    ("Gen. Dariusz Malinowski", "Dariusz Malinowski"),
])
def test_titles_and_possessives_are_stripped(raw, name):
    assert clean_person(raw)[0] == name


def test_not_names():
    assert clean_person("President") is None
    assert clean_person("the 2028 race") is None


def test_name_keys_fold_spelling_variants():
    assert name_key("Volodymyr Zelenskyy") == name_key("Volodymyr Zelensky") \
        == name_key("Volodymyr Zelenskiy")
    assert name_key("Donald J. Trump") == name_key("Donald Trump")
    assert fold("Radosław Sikorski") == "radoslaw sikorski"


@pytest.mark.parametrize("sentence, name, role", [
    ("'President Trump wants this war to end,' said White House press secretary Karoline Leavitt.",
     "Karoline Leavitt", "White House press secretary"),
    ("Talks between his special envoy, Steve Witkoff, and Putin ended.", "Steve Witkoff",
     "special envoy"),
    ("'This is very unusual,' said Steven Pifer, a former ambassador to Ukraine under Clinton.",
     "Steven Pifer", "former ambassador to Ukraine"),
    ("Ukraine's Foreign Minister Andrii Sybiha said Russia struck a plant.", "Andrii Sybiha",
     "Ukraine's foreign minister"),
    ("Trump and Putin spoke on Thursday.", "Putin", None),
])
def test_role_next_to_a_name(sentence, name, role):
    start = sentence.index(name)
    assert role_near(sentence, start, start + len(name)) == role


def test_rules_catch_names_after_titles():
    names = [t for _, _, t in rule_spans(
        "Talks between his special envoy, Steve Witkoff, and Mr. Putin ended; "
        "press secretary Karoline Leavitt said so.")]
    assert names == ["Steve Witkoff", "Karoline Leavitt", "Putin"]


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_ascii_shortcut_folds_as_the_unicode_path_does(text):
    assert fold(text) == fold_unicode(text)


def test_non_ascii_text_still_loses_its_accents():
    assert fold("Łuków’s Ünïon") == "lukow's union"
