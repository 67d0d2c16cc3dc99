"""Question understanding (bot/questions.py): phrasings, typos, time windows, hostile input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.questions import (Window, allowed_edits, correct_leading_words, edit_distance,
                           parse_question, split_window)
from bot.registry import load_commands

#: Wednesday 22 October 2025, 15:00 UTC.
NOW = datetime(2025, 10, 22, 15, 0, tzinfo=UTC)


def _q(text: str):
    return parse_question(text, load_commands())


@pytest.mark.parametrize("text, command, topic", [
    ("what did Zelensky say", "says", "Zelensky"),
    ("What did Putin say about the Budapest summit?", "says", "Putin about the Budapest summit"),
    ("what is Trump saying", "says", "Trump"),
    ("what's Lavrov been saying about Ukraine", "says", "Lavrov about Ukraine"),
    ("what has Karoline Leavitt said", "says", "Karoline Leavitt"),
    ("quotes from Steve Witkoff", "says", "Steve Witkoff"),
    ("any news on Tomahawk missiles", "latest", "Tomahawk missiles"),
    ("any updates about Kyiv?", "latest", "Kyiv"),
    ("what's going on with NATO", "latest", "NATO"),
    ("whats happening in Poland", "latest", "Poland"),
    ("tell me about Hungary", "latest", "Hungary"),
    ("when is the Budapest summit?", "latest", "Budapest summit"),
    ("when will the Budapest summit take place", "latest", "Budapest summit"),
    ("Donbas?", "latest", "Donbas"),
    ("latst on budapest", "latest", "budapest"),
    ("lates news about Moscow", "latest", "Moscow"),
    ("timline of the Alaska summit", "timeline", "the Alaska summit"),
    ("tiemline Alaska", "timeline", "Alaska"),
    ("whoo is Sergey Lavrov", "who", "Sergey Lavrov"),
    ("sorces for Lviv strikes", "sources", "Lviv strikes"),
    ("sources Alaska summit", "sources", "Alaska summit"),
    ("today's digest", "digest", ""),
    ("subscibe 08:00 Europe/Kyiv", "subscribe", "08:00 Europe/Kyiv"),
    ("what did Putin tell reporters about Ukraine", "says", "Putin about Ukraine"),
    ("what has Zelensky been saying about the summit", "says", "Zelensky about the summit"),
    ("can you tell me about Hungary please", "latest", "Hungary"),
    ("hey, what's new with NATO?", "latest", "NATO"),
    ("when's the Budapest summit going to happen", "latest", "Budapest summit"),
    ("how did the Alaska summit unfold", "timeline", "the Alaska summit"),
    ("what are your sources on Putin", "sources", "Putin"),
    ("tell me who Witkoff is", "who", "Witkoff"),
    ("latst on the real deal", "latest", "the real deal"),  # "real" is one edit from "read"
    ("whoo is Reed", "who", "Reed"),
    ("help", "help", ""),
])
def test_the_ways_people_ask_are_understood(text, command, topic):
    q = _q(text)
    assert (q.command, q.topic) == (command, topic)


@pytest.mark.parametrize("text", ["Lavrov", "Newsom", "Tusk said what", "Hamas", "Witkoff news"])
def test_a_topic_that_looks_like_no_cue_word_is_left_alone(text):
    q = _q(text)
    assert q.command == "latest" and q.topic == text and not q.corrections


@pytest.mark.parametrize("phrase, start, end", [
    ("today", datetime(2025, 10, 22, tzinfo=UTC), datetime(2025, 10, 23, tzinfo=UTC)),
    ("yesterday", datetime(2025, 10, 21, tzinfo=UTC), datetime(2025, 10, 22, tzinfo=UTC)),
    ("this week", datetime(2025, 10, 20, tzinfo=UTC), datetime(2025, 10, 27, tzinfo=UTC)),
    ("last week", datetime(2025, 10, 13, tzinfo=UTC), datetime(2025, 10, 20, tzinfo=UTC)),
    ("since Monday", datetime(2025, 10, 20, tzinfo=UTC), NOW),
    ("since Thursday", datetime(2025, 10, 16, tzinfo=UTC), NOW),
    ("on Tuesday", datetime(2025, 10, 21, tzinfo=UTC), datetime(2025, 10, 22, tzinfo=UTC)),
    ("in the last 3 days", datetime(2025, 10, 19, tzinfo=UTC), NOW),
    ("past 24 hours", NOW - timedelta(hours=24), NOW),
    ("in the last two weeks", datetime(2025, 10, 8, tzinfo=UTC), NOW),
    ("in October", datetime(2025, 10, 1, tzinfo=UTC), datetime(2025, 11, 1, tzinfo=UTC)),
    ("in December", datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
    ("in Aug 2025", datetime(2025, 8, 1, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC)),
    ("this month", datetime(2025, 10, 1, tzinfo=UTC), datetime(2025, 11, 1, tzinfo=UTC)),
    ("last month", datetime(2025, 9, 1, tzinfo=UTC), datetime(2025, 10, 1, tzinfo=UTC)),
    ("this year", datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    ("in 2024", datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
    ("since 1 October", datetime(2025, 10, 1, tzinfo=UTC), NOW),
    ("on October 17", datetime(2025, 10, 17, tzinfo=UTC), datetime(2025, 10, 18, tzinfo=UTC)),
    ("in the past few days", datetime(2025, 10, 19, tzinfo=UTC), NOW),
    ("over the past month", datetime(2025, 9, 22, tzinfo=UTC), NOW),
    ("from 2 days ago", datetime(2025, 10, 20, tzinfo=UTC), datetime(2025, 10, 21, tzinfo=UTC)),
])
def test_time_windows_mean_the_dates_a_person_means(phrase, start, end):
    q = _q(f"latest on Putin {phrase}")
    assert q.topic == "Putin" and q.window is not None, q
    assert q.window.bounds(NOW) == (start, end)


def test_a_window_may_open_the_question_or_sit_in_its_middle():
    first = _q("This week, what did Zelensky say?")
    middle = _q("what did Zelensky say last week about the Alaska summit")
    assert (first.command, first.topic, first.window.phrase) == ("says", "Zelensky", "this week")
    assert (middle.command, middle.topic) == ("says", "Zelensky about the Alaska summit")
    assert middle.window.phrase == "last week"


def test_a_name_ending_in_a_time_word_stays_a_name():
    assert (_q("latest on USA Today").topic, _q("latest on USA Today").window) == ("USA Today", None)
    assert _q("latest on Russia Today this week").topic == "Russia Today"
    assert _q("latest on Putin In October").window is not None


def test_commands_without_topics_keep_their_words():
    assert _q("today's digest").window is None
    assert _q("subscribe 08:00 Europe/Kyiv").topic == "08:00 Europe/Kyiv"


def test_slash_command_text_has_its_window_split_off():
    topic, window = split_window("Zelensky in the past 24 hours")
    assert topic == "Zelensky" and window is not None and window.bounds(NOW)[0] == NOW - timedelta(hours=24)
    assert split_window("October Revolution") == ("October Revolution", None)


def test_a_window_is_described_with_its_dates():
    window = _q("latest on Putin last week").window
    assert window.describe(NOW) == "last week (13 Oct – 19 Oct 2025)"


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("timeline", "tiemline") == 1
    assert edit_distance("latest", "latst") == 1
    assert edit_distance("who", "whoo") == 1
    assert edit_distance("", "abc") == 3
    assert allowed_edits("who") == 0 and allowed_edits("latst") == 1 and allowed_edits("timline") == 2


def test_only_the_leading_cue_words_are_corrected():
    vocab = ["latest", "on", "timeline", "of"]
    assert correct_leading_words("latst on Lavrov", vocab)[0] == "latest on Lavrov"
    assert correct_leading_words("Latest on latst", vocab)[0] == "Latest on latest"  # cue run
    assert correct_leading_words("Lavrov latst", vocab) == ("Lavrov latst", ())


# --- hostile input ----------------------------------------------------------------------------

_HOSTILE = st.one_of(
    st.text(max_size=400),
    st.sampled_from(['"NEAR(a b)" OR *', "@everyone", "<!channel>", "\ud800 lone", "\x00\x1b[31m",
                     "who is " + "x" * 10_000, "what did  say about", "since 99 October",
                     "on 31 February", "in the last 0 days", "latest on *) AND (", "?" * 50]),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(["what did", "latst on", "since", "in the last",
                                                         "timline of", "who is"]),
              st.text(max_size=60)),
)


@settings(max_examples=300, deadline=None)
@given(_HOSTILE)
def test_the_parser_never_raises_and_always_names_a_registered_command(text):
    registry = load_commands()
    q = parse_question(text, registry)
    assert q.command in registry
    if q.window is not None:
        start, end = q.window.bounds(NOW)
        assert start <= end


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 999), st.sampled_from(["hours", "days", "weeks", "months"]),
       st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
                    timezones=st.just(UTC)))
def test_rolling_windows_end_now_and_start_before(n, unit, now):
    window = split_window(f"Putin in the last {n} {unit}")[1]
    assert isinstance(window, Window)
    start, end = window.bounds(now)
    assert end == now and start < now


def test_every_usage_help_shows_means_its_command():
    registry = load_commands()
    for spec in registry:
        assert parse_question(spec.usage, registry).command == spec.name, spec.usage
