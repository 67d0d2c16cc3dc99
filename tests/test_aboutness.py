"""The rule for "this article is about X" (no models: plain numbers and SQLite)."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.index.aboutness import TIER_SQL, Presence

presences = st.builds(
    lambda title, lead, total, named, most: Presence(title, lead and named > 0, min(named, total),
                                                     total, max(most, min(named, total))),
    st.booleans(), st.booleans(), st.integers(0, 80), st.integers(0, 80), st.integers(0, 80))


def test_a_headline_or_a_lead_the_text_returns_to_makes_an_article_about_it():
    assert Presence(in_title=True, in_lead=False, sentences=1, total=40).about
    assert Presence(in_title=False, in_lead=True, sentences=2, total=40).about
    assert not Presence(in_title=False, in_lead=True, sentences=1, total=40).about
    # a photographer's obituary that once names Haiti, deep in the text
    assert not Presence(in_title=False, in_lead=False, sentences=1, total=30, most=9).about
    # a long article that names its subject most of all, if in few of its sentences
    assert Presence(in_title=False, in_lead=False, sentences=4, total=78, most=4).about


@settings(max_examples=300, deadline=None)
@given(presences)
def test_more_evidence_never_makes_an_article_less_about_a_topic(p):
    more = Presence(p.in_title, p.in_lead, min(p.sentences + 1, p.total), p.total, p.most)
    titled = Presence(True, p.in_lead, p.sentences, p.total, p.most)
    if p.about:
        assert titled.about
        assert more.about or more.sentences == p.sentences
    assert 0 <= p.tier <= 3 and (p.tier >= 1 or not p.about)


@settings(max_examples=300, deadline=None)
@given(presences)
def test_the_stored_tier_in_sql_is_the_same_rule(p):
    conn = sqlite3.connect(":memory:")
    row = conn.execute(f"SELECT {TIER_SQL} FROM (SELECT ? AS in_title, ? AS in_lead, "
                       "? AS sentences, ? AS share, ? AS prominence) AS ab",
                       [int(p.in_title), int(p.in_lead), p.sentences, p.share, p.prominence]).fetchone()
    assert row[0] == p.tier
