"""Event phrases and place lookup, on sentences as news writes them (no models needed)."""

from __future__ import annotations

import pytest

from bot.index.events import find_events
from bot.index.gazetteer import gazetteer


def _found(sentence: str, people=()) -> list[tuple[str, str | None]]:
    return [(e.kind, e.place.name if e.place else "-".join(e.participants))
            for e in find_events(sentence, 0, people)]


@pytest.mark.parametrize("sentence, expected", [
    ("an agreement for another summit between Vladimir Putin and Donald Trump in Budapest.",
     [("summit", "Budapest")]),
    ("He said a meeting in Hungary would follow lower-level talks next week.",
     [("meeting", "Hungary")]),
    ("The planned Hungary summit, offered without major concessions, surprised allies.",
     [("summit", "Hungary")]),
    ("Trump supported it until a meeting last week in Alaska with Russian President Putin.",
     [("meeting", "Alaska")]),
    ("But the Alaska summit has also reinforced a troubling perception.", [("summit", "Alaska")]),
    ("Witkoff held talks in Moscow on Wednesday.", [("talks", "Moscow")]),
    ("Trump and Putin will meet in Budapest within two weeks.", [("meeting", "Budapest")]),
    ("The attack included strikes on the cities of Mukachevo and Lviv in the far west.",
     [("strike", "Mukachevo"), ("strike", "Lviv")]),
])
def test_event_phrases(sentence, expected):
    assert _found(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "Trump, Putin Set to Meet After Breakthroughs in Ukraine Talks",  # talks about Ukraine
    "Zelensky said talks on security guarantees in Ukraine would resume.",  # topic, not venue
    "The call was met with unease in Kyiv.",  # "met with unease" is no meeting
    "After two critical meetings in four days aimed at ending the war in Ukraine, diplomats met.",
    "Russia continued to hammer Ukraine with missiles.",
])
def test_phrases_that_are_not_events_at_a_place(sentence):
    assert [k for k, _ in _found(sentence) if k != "call"] == []


def test_calls_need_two_people_or_a_named_pair():
    assert _found("The Trump-Putin call, which occurred while Zelensky was en route, "
                  "overshadowed the visit.") == [("call", "Trump-Putin")]
    assert _found("A recent phone conversation between Donald Trump and Vladimir Putin "
                  "unsettled Kyiv.", ["Donald Trump", "Vladimir Putin"]) == \
        [("call", "Donald Trump-Vladimir Putin")]
    assert _found("Officials call for calm.", ["Donald Trump", "Vladimir Putin"]) == []
    assert _found("Trump said he would call him soon.", ["Donald Trump"]) == []


def test_gazetteer_ties_cities_to_countries_and_us_places_to_states():
    g = gazetteer()
    assert g.lookup("Budapest").region == g.lookup("Hungary").region == "Hungary"
    assert g.lookup("Alaska").region != g.lookup("Washington").region
    assert g.lookup("D.C.").name == "Washington"
    assert g.lookup("U.S.").name == g.lookup("America").name == "United States"
    assert g.lookup("the Oval Office").name == "Washington"
    assert g.lookup("White House", venues=False) is None
    assert g.lookup("Łuków") is None and g.lookup("Kyiv").country == "Ukraine"
    # lower-case words in prose are not places
    assert g.find("they ate turkey in georgia") == []
    assert [p.name for _, _, p in g.find("Talks in Turkey and Georgia")] == ["Turkey", "Georgia"]
