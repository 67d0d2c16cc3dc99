"""Questions answered on the seed pages: statements by a speaker, answers limited to a time
window, the speaker backfill, and no question that makes a command crash."""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import Request
from bot.index.speakers import Cue, NamedMention, find_speeches
from test_commands_seeds import ask, assert_every_sentence_is_quoted_from_its_source, cited_sentences
from test_slack_flows import fake_slack  # noqa: F401 - the local Slack peer fixture
from schema_history import undo_compact_format, undo_owners

#: Wednesday 22 October 2025: the seeds date from 8 Aug to 17 Oct 2025.
NOW = datetime(2025, 10, 22, 15, 0, tzinfo=UTC)


def _speaks(sentence: str, names: str) -> bool:
    """The sentence gives its words to the person (a name beside a speech verb) or continues
    a quote with "he/she said"."""
    return bool(re.search(names, sentence)) or bool(re.search(r"\b(?:he|she) (?:said|added)", sentence))


async def test_what_did_zelensky_say_answers_with_his_own_statements(seeded_services):
    reply = await ask(seeded_services, "what did Zelensky say")
    assert reply.kind == "answer" and reply.title == "What Volodymyr Zelensky said"
    sentences = [s for s, _ in cited_sentences(reply)]
    assert len(sentences) >= 3
    for s in sentences:
        assert re.search(r"Zelenskyy? (?:said|added|told)|said .{0,60}Zelenskyy?", s), s
    assert_every_sentence_is_quoted_from_its_source(seeded_services, reply)


async def test_what_did_x_say_about_y_keeps_to_y(seeded_services):
    reply = await ask(seeded_services, "what did Trump say about Putin?")
    assert reply.title == "What Donald Trump said about Putin"
    sentences = [s for s, _ in cited_sentences(reply)]
    assert sentences and all("Putin" in s for s in sentences), sentences
    assert all(_speaks(s, r"Trump") for s in sentences)


async def test_a_person_named_but_never_quoted_is_told_apart(seeded_services):
    reply = await ask(seeded_services, "what did Bill Clinton say")
    assert reply.kind == "no_coverage"
    assert "none quotes them" in reply.text and "latest Bill Clinton" in reply.text


def test_speakers_are_found_by_the_cues_news_copy_uses():
    sentences = [
        "Ukrainian President Volodymyr Zelensky met European leaders on Monday.",
        '"We will not give up," he said.',
        "The talks were constructive, said Karoline Leavitt, the press secretary.",
        "Trump said Putin wanted peace.",
        "Moscow is ready, according to Sergey Lavrov.",
        "Analysts said Witkoff was tired.",
    ]
    people = [NamedMention(1, 0, "Volodymyr Zelensky"), NamedMention(2, 2, "Karoline Leavitt"),
              NamedMention(3, 3, "Trump"), NamedMention(4, 3, "Putin"),
              NamedMention(5, 4, "Sergey Lavrov"), NamedMention(6, 5, "Witkoff")]
    assert find_speeches(sentences, people) == [
        (1, 1, Cue.QUOTE_FOLLOWS), (2, 2, Cue.VERB_NAME), (3, 3, Cue.NAME_VERB),
        (4, 5, Cue.ACCORDING_TO)]


@pytest.mark.parametrize("opening, closing", [('"', '"'), ("“", "”"), ("'", "'"), ("‘", "’"),
                                              ("«", "»")])
def test_a_speech_tag_after_a_quote_names_the_speaker_whatever_the_quote_marks(opening, closing):
    sentence = (f"{opening}We are still far from creating such conditions,{closing} said Putin, "
                "who has often questioned Zelensky's legitimacy.")
    people = [NamedMention(1, 0, "Putin"), NamedMention(2, 0, "Zelensky")]
    assert find_speeches([sentence], people) == [(0, 1, Cue.VERB_NAME)]


def test_a_pronoun_quote_continues_a_person_not_an_organisation():
    sentences = ["The Kremlin rejected the plan on Tuesday.", '"It will not happen," he said.']
    assert find_speeches(sentences, [NamedMention(1, 0, "Kremlin", person=False)]) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=120), min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(0, 3), st.text(min_size=1, max_size=20)), max_size=4))
def test_speaker_finding_takes_any_text_and_names(sentences, named):
    people = [NamedMention(i, s % len(sentences), surface) for i, (s, surface) in enumerate(named)]
    for index, mention_id, cue in find_speeches(sentences, people):
        assert 0 <= index < len(sentences) and isinstance(cue, Cue)
        assert any(p.mention_id == mention_id for p in people)


async def test_organisations_speak_too(seeded_services):
    reply = await ask(seeded_services, "what did the Kremlin say?")
    assert reply.title == "What Kremlin said"
    assert all("Kremlin" in s for s, _ in cited_sentences(reply))


def test_databases_from_before_speakers_are_backfilled(seeded_db, tmp_path):
    from bot.index.store import Index

    path = tmp_path / "old.db"
    shutil.copy(seeded_db, path)
    index = Index(path)
    ingested = index.conn.execute("SELECT sentence_id, mention_id, cue FROM speeches "
                                  "ORDER BY 1, 2").fetchall()
    from bot.index import speakers
    from bot.index.schema import STEPS

    # as a database made before the step existed: its version is the step before it, and
    # every later step's tables are not there yet either
    before = STEPS.index(speakers.create_and_backfill)
    undo_compact_format(index.conn)
    for table in ("speeches", "aboutness", "article_leads_fts"):
        index.conn.execute(f"DROP TABLE IF EXISTS {table}")
    index.conn.execute("UPDATE schema_versions SET version = ? WHERE component = 'index'", [before])
    index.close()
    reopened = Index(path)
    try:
        assert len(ingested) > 20
        assert reopened.conn.execute("SELECT sentence_id, mention_id, cue FROM speeches "
                                     "ORDER BY 1, 2").fetchall() == ingested
    finally:
        reopened.close()


def test_databases_from_before_the_quote_marks_fix_find_their_speakers_again(seeded_db, tmp_path):
    """A database whose speeches were found by the older cues (no straight single quote)
    has them found again when it is next opened, so "what did Putin say" answers there too."""
    from bot.index import speakers
    from bot.index.schema import STEPS
    from bot.index.store import Index

    path = tmp_path / "older.db"
    shutil.copy(seeded_db, path)
    index = Index(path)
    found = index.conn.execute("SELECT sentence_id, mention_id, cue FROM speeches "
                               "ORDER BY 1, 2").fetchall()
    quoted = [r for r in found if r[2] == Cue.VERB_NAME]
    index.conn.execute("DELETE FROM speeches WHERE cue = ?", [str(Cue.VERB_NAME)])
    undo_owners(index.conn)  # the steps after it are not there yet either
    index.conn.execute("UPDATE schema_versions SET version = ? WHERE component = 'index'",
                       [STEPS.index(speakers.refind_all)])
    index.close()
    reopened = Index(path)
    try:
        assert quoted
        assert reopened.conn.execute("SELECT sentence_id, mention_id, cue FROM speeches "
                                     "ORDER BY 1, 2").fetchall() == found
    finally:
        reopened.close()


async def test_a_quote_in_straight_single_quotes_is_a_statement(seeded_services):
    reply = await ask(seeded_services, "what did Putin say")
    assert reply.kind == "answer" and reply.title == "What Vladimir Putin said"
    sentences = [s for s, _ in cited_sentences(reply)]
    assert any(s.startswith("'") and "said Putin" in s for s in sentences), sentences
    assert_every_sentence_is_quoted_from_its_source(seeded_services, reply)


# --- time windows on the seeds ----------------------------------------------------------------

async def test_a_window_limits_the_articles_an_answer_draws_from(seeded_services):
    seeded_services.clock = lambda: NOW
    reply = await ask(seeded_services, "latest on Putin in August")
    assert reply.kind == "answer" and reply.sources
    assert all(s.published and s.published.month == 8 for s in reply.sources), reply.sources
    timeline = await ask(seeded_services, "timeline of Putin since 1 October")
    assert timeline.sources and all(s.published >= datetime(2025, 10, 1, tzinfo=UTC)
                                    for s in timeline.sources)


async def test_an_empty_window_says_so_and_names_other_coverage(seeded_services):
    seeded_services.clock = lambda: NOW
    reply = await ask(seeded_services, "any news on Zelensky this week?")
    assert reply.kind == "no_coverage"
    assert reply.text.startswith("No coverage of “Zelensky” this week (20 Oct – 26 Oct 2025).")
    assert "newest from" in reply.text


async def test_slash_commands_take_a_window_in_their_topic(seeded_services):
    seeded_services.clock = lambda: NOW
    registry = seeded_services.registry
    reply = await registry.dispatch(Request("sources", "Donald Trump in October 2025",
                                            platform="slack"), seeded_services)
    assert reply.title == "Sources on Donald Trump"
    assert reply.sources and all(s.published.month == 10 for s in reply.sources)
    said = await registry.dispatch(Request("says", "Zelensky last month", platform="discord"),
                                   seeded_services)
    assert said.kind == "no_coverage" and "last month" in said.text


async def test_who_with_a_window_profiles_from_that_time(seeded_services):
    seeded_services.clock = lambda: NOW
    reply = await ask(seeded_services, "who is Donald Trump in August 2025")
    assert reply.kind == "answer"
    assert reply.sources and all(s.published.month == 8 for s in reply.sources)


# --- hostile questions against the real index -------------------------------------------------

_QUESTIONS = st.one_of(
    st.text(max_size=200),
    st.sampled_from(['"NEAR(a b)" OR *', "@everyone", "<!channel>", "\ud800", "\x00\x07",
                     "x" * 10_000, "what did * say about NEAR(", "says", "says about",
                     "latest on Putin in the last 999 months", "sources for -",
                     "timeline of ^ since 31 February", "who is \"", "what did Zelensky say about \ufffd"]),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from([
        "what did", "latst on", "who is", "timeline of", "sources for", "says", "any news on"]),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=40)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_QUESTIONS)
def test_no_question_makes_a_command_fail(seeded_services, text):
    seeded_services.clock = lambda: NOW
    registry = seeded_services.registry
    reply = asyncio.run(registry.dispatch(registry.parse(text, platform="test"), seeded_services))
    assert "something went wrong" not in reply.text, (text, reply.text)
    assert reply.sections


async def test_a_slack_slash_command_applies_the_window_in_its_text(seeded_services, fake_slack,
                                                                    tmp_path):
    """Through the real Slack adapter, against the local fake Slack peer."""
    from dataclasses import replace

    from adapters.slack.run import make_bot, start_http
    from test_slack_flows import Running, slack_settings, slash, visible_text

    seeded_services.settings = replace(slack_settings(tmp_path, fake_slack),
                                       db_path=seeded_services.settings.db_path)
    seeded_services.clock = lambda: NOW
    bot = make_bot(seeded_services, http=True)
    server = await start_http(bot, host="127.0.0.1", port=0)
    try:
        running = Running(bot, server, fake_slack)
        assert (await slash(running, "/latest", "Putin in August 2025"))[0] == 200
        [answer] = await fake_slack.wait_posts(1)
        shown = visible_text(answer)
        assert "Latest on Vladimir Putin" in shown and "Aug 2025" in shown
        assert "Oct 2025" not in shown  # the October pages are outside the window
    finally:
        await server.close()
        bot.worker.close()

