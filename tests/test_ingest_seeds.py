"""The five seed pages, ingested as a user would: stories, titles, publishers, dates, clean text."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.ingest.model import Article, Rejected
from bot.ingest.pipeline import articles_from_paths

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def items() -> list[Article | Rejected]:
    cwd = os.getcwd()
    os.chdir(ROOT)               # origins are the paths as typed: "seeds/000_....txt"
    try:
        return list(articles_from_paths(["seeds"]))
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def by_origin(items) -> dict[str, Article]:
    return {a.origin: a for a in items if isinstance(a, Article)}


P0, P1, P2, P3, P4 = (f"seeds/{n}" for n in (
    "000_f41f4003cbb84cf9.txt", "001_e213fecfa28b599e.txt", "002_3a656d89f55840a8.txt",
    "003_a3379bf5c561db13.txt", "004_9c7859ff746ab798.txt"))


def test_each_page_yields_its_main_article_and_related_stories(by_origin):
    assert sorted(by_origin) == sorted([
        P0, f"{P0}#2", f"{P0}#3", f"{P0}#4",
        P1, f"{P1}#3", f"{P1}#4",
        P2, P3, P4,
    ])


def test_titles_and_publishers(by_origin):
    seen = {o: (a.title, a.publisher) for o, a in by_origin.items()}
    assert seen[P0] == ("For Trump, Flashy Summits Come First. Grunt Work Comes Next.",
                        "The New York Times (via an aggregator)")
    assert seen[f"{P0}#2"] == ("Russia launches major, far-reaching attacks after D.C. talks, Ukraine says",
                               "Washington Post")
    assert seen[f"{P0}#3"][0].startswith("Poland says air defenses didn't detect a Russian drone")
    assert seen[f"{P0}#3"][1] == "Business Insider (via Yahoo)"
    assert seen[f"{P0}#4"] == ("Ukraine expects clarity soon on security guarantees from US and other allies",
                               "The Hill")
    assert seen[P1][1] == "The Wall Street Journal (via Hindustan Times)"
    assert seen[f"{P1}#3"] == ("Trump Rattles Latin America by Weighing Using Military Force", "Mint")
    assert seen[f"{P1}#4"] == ("Trump Rattles Latin America by Exploring Use of Military Force", "Mint")
    assert seen[P2][1] == "CNN (via an aggregator)"
    assert seen[P3] == ("Trump, Putin Set to Meet After Breakthroughs in Ukraine Talks", None)  # "unknown"
    assert seen[P4][1] is None


def test_headline_list_is_rejected_with_a_reason(items):
    rejected = [r for r in items if isinstance(r, Rejected)]
    assert [r.path for r in rejected] == [f"{P1}#2"]
    assert "JD Vance" in rejected[0].reason and "sentences" in rejected[0].reason


def test_seed_004_gets_a_title_from_its_first_sentence(by_origin):
    title = by_origin[P4].title
    assert title.startswith("A recent phone conversation between US President Donald Trump")
    assert title.endswith("…") and len(title) <= 101
    assert by_origin[P4].text.startswith(title[:-1])


BOILERPLATE = [
    "Want all of The Times", "Subscribe", "Hashtags", "Try Our AI Features", "Explore what",
    "Comments", "No comments yet", "Related Articles", "Read the original article",
    "Solve the daily Crossword", "THIS IS A BREAKING NEWS UPDATE", "earlier story follows",
    "logo", "Orange background", "Write to", "@wsj.com", "DOWNLOAD THE APP", "Download the App",
    "app store", "app-store", "Home World Europe", "Getty Images", "{", "Source: CNN",
    "LEAVE A REPLY", "Please enter", "minutes ago", "hours ago", "automated news agency feed",
    "With assistance from", "in Moscow this week.",
]


@pytest.mark.parametrize("junk", BOILERPLATE)
def test_no_page_furniture_in_any_article(by_origin, junk):
    for origin, article in by_origin.items():
        assert junk not in article.text, f"{junk!r} left in {origin}"


def test_counters_and_repeated_titles_are_gone(by_origin):
    for article in by_origin.values():
        lines = article.text.split("\n")
        assert all(not line.strip().isdigit() for line in lines)
        assert article.title not in lines
        assert all(line == line.strip() and line for line in lines)


def test_real_text_survives_cleaning(by_origin):
    assert by_origin[P0].text.startswith("Now comes the grunt work.\nMr. Trump in the past week")
    assert by_origin[P0].text.endswith("But the details matter.'")
    assert "It remains a long shot." in by_origin[P1].text.split("\n")
    assert by_origin[P1].text.endswith("'That is his brand.'")
    # the paragraph that carried "Read the original article" keeps its last real sentence
    assert by_origin[f"{P0}#3"].text.endswith("by Business Insider.")
    hill = by_origin[f"{P0}#4"].text
    assert "He provided no further details. KYIV, Ukraine (AP) — Ukraine will hold" in hill
    assert by_origin[f"{P1}#3"].text.endswith("potentially the region itself.'")


def test_section_headings_stay_inside_their_article(by_origin):
    cnn = by_origin[P2].text.split("\n")
    for heading in ("The Diplomacy vs. the War", "Trump’s Gamble", "Europe’s Dilemma",
                    "The White House Spin", "What’s Next?"):
        assert heading in cnn
    assert cnn[-1] == "As one European official put it, “Putin gave him the red carpet. Then he gave him the missiles.”"
    p3 = by_origin[P3].text.split("\n")
    for heading in ("What giving Tomahawks would mean", "Budapest as Symbol and Stage", "Questions to Carry Home"):
        assert heading in p3
    assert any(line.startswith("Conflict origin: Russia’s full-scale invasion") for line in p3)


def test_dates_from_manifest_and_relative_times(by_origin):
    day = lambda s: datetime.fromisoformat(s).replace(tzinfo=UTC)  # noqa: E731
    assert (by_origin[P0].published, by_origin[P0].date_source) == (day("2025-08-21"), "metadata")
    # The manifest gives a day, not a time: stories "13 minutes ago" belong to that day,
    # not to the evening before.
    for n in (2, 3, 4):
        assert by_origin[f"{P0}#{n}"].published == day("2025-08-21")
    assert {by_origin[f"{P0}#{n}"].date_source for n in (2, 3, 4)} == {"relative"}
    # page 001 shows its main article "10 hours ago": the page was captured 10 h after it appeared
    assert by_origin[f"{P1}#3"].published == day("2025-08-08") + timedelta(hours=10) - timedelta(minutes=3)
    for article in by_origin.values():
        assert article.published.tzinfo is not None and article.published.utcoffset() == timedelta(0)
