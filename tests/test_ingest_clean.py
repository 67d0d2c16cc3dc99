"""Cleaning and splitting by general rules, on page variants that are not in the seeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest.clean import Evidence, clean_text, is_furniture
from bot.ingest.dates import date_from_text, parse_date, parse_relative
from bot.ingest.model import Article, Rejected
from bot.ingest.pipeline import articles_from_text, derive_title

PROSE = ("The council voted on Tuesday to approve the new budget after a long debate. "
         "Members said the plan would fund schools and roads for the next five years.")


@pytest.mark.parametrize("line", [
    "Want all of The Guardian? Subscribe.",
    "Enjoy unlimited access. Subscribe today.",
    "Sign up for our morning newsletter",
    "Get Started: Install the App",
    "Download our app from the App Store or Google Play today and never miss a story.",
    "Try Premium Features Free",
    "Discover what Acme AI can do for you:",
    "Follow us on Facebook",
    "Read the full story at Reuters",
    "Play today's Wordle",
    "Be the first to comment",
    "3 Comments",
    "Post a reply",
    "Please enter your email address here",
    "SHARE THIS ARTICLE",
    "ADVERTISEMENT",
    "Advertisement",
    "Blue background",
    "Share",
    "1.2K",
    "12",
    "google-playapp-store",
    "Contact the reporter at jane.doe@example.org",
    "Write to Jane Doe at jane@ft.com and John Roe at john@ft.com",
    "Home › Business › Markets",
    "Mayor Ana Lopez speaks at City Hall on March 3, 2024. (AP Photo/Jane Smith)",
    "Flooded streets in Valencia, Spain. [Reuters/Pablo Sanz]",
    "Source: Reuters",
    "By Jane Roe and John Doe, Reuters",
    "By MARIA LOPEZ",
    "Story continues below advertisement",
    "Advertisement - Scroll to continue",
    "Continue reading",
    "Loading...",
    "5 min read",
    "Updated 3:45 PM EDT, Tue March 5, 2024",
    "Filed under: Politics",
    "Topics: Ukraine, Russia",
    "Photo by John Smith/Getty Images",
    "AP Photo/Evan Vucci",
    "Editor's note: This story has been updated.",
    "This material may not be published, broadcast, rewritten or redistributed.",
    "We value your privacy",
    "Accept all cookies",
    "Open in app",
])
def test_furniture_lines_of_other_sites_are_removed(line):
    text = f"{PROSE}\n{line}\n{PROSE}"
    assert clean_text(text) == f"{PROSE}\n{PROSE}", line


@pytest.mark.parametrize("line", [
    "The Road to Recovery",              # section heading
    "What Comes Next?",
    "Why Madrid?",
    "Follow the money, investigators say, and the trail leads to three shell companies.",
    "Support for the measure fell to 41% in the latest poll.",
    "Like many residents, she stayed home during the storm.",
    "Share prices fell 3% after the announcement.",
    "It remains unclear.",
    "Key facts: The dam holds 2 billion cubic metres of water.",
    "'Download the app,' the minister urged parents, 'before the new term begins.'",
    "By Tuesday, most roads had reopened.",
    "Updated figures show growth slowed.",
    "Tags are attached to every migrating bird, researchers said.",
    "Photo ID laws have been challenged in court.",
    "Open warfare broke out in the streets.",
    "Privacy Fears Grow",
    "Topics for the summit include trade and energy.",
    "By the end of the week the river had fallen by two metres.",
])
def test_article_lines_that_resemble_furniture_are_kept(line):
    text = f"{PROSE}\n{line}\n{PROSE}"
    assert clean_text(text) == text, line


def test_furniture_sentences_glued_to_a_paragraph_are_cut_and_the_rest_kept():
    para = ("Officials did not respond to requests for comment. Read the original article on The Verge "
            "Play the daily Mini")
    assert clean_text(para) == "Officials did not respond to requests for comment."
    para = ("Three people were hurt. THIS IS A DEVELOPING STORY. Reuters' earlier report follows below. "
            "Police said the driver fled.")
    assert clean_text(para) == "Three people were hurt. Police said the driver fled."


def test_evidence_about_the_real_publisher_is_collected():
    ev = Evidence()
    clean_text(f"{PROSE}\nSource: Associated Press\nRead the original article on Fortune Sign up now", evidence=ev)
    assert (ev.source, ev.original) == ("Associated Press", "Fortune")


def test_breadcrumb_ending_in_the_title_is_removed():
    title = "Storm Floods Coastal Towns"
    text = f"News Weather Europe {title}\n{title}\n{PROSE}"
    assert clean_text(text, title=title) == PROSE


def test_verbless_caption_is_removed_but_short_sentences_stay():
    assert is_furniture("Chancellor Olaf Scholz and President Emmanuel Macron, at the Elysee in Paris on Friday.")
    assert not is_furniture("Chancellor Olaf Scholz met President Emmanuel Macron in Paris on Friday.")
    assert not is_furniture("Now comes the hard part.")


AGGREGATOR = """\
Oil Prices Jump After Pipeline Attack
Share
Oil Prices Jump After Pipeline Attack
Reuters2 hours ago
Oil prices rose more than 4% on Monday after an attack on a major pipeline in the region. Traders said supply fears would persist.
The Market Reaction
Brent crude futures climbed to $91 a barrel. Analysts expect volatility to continue this week.
Sign up for our energy newsletter
More stories

Bloomberg
an hour ago
• Bloomberg
Shipping Rates Climb as Insurers Raise Premiums
Shipping rates climbed sharply on Monday as insurers raised war-risk premiums. Tanker owners said some routes were being avoided.
Reuters
5 minutes ago
• Reuters
Top Stories Today
Markets Live: Stocks Open Lower | Bonds Rally | Dollar Steady
"""


def test_an_unseen_aggregator_layout_splits_into_stories():
    items = list(articles_from_text(AGGREGATOR, origin="pages/oil.txt", published="2024-05-06",
                                    title=None, publisher=None))
    main, second, third = items
    assert isinstance(main, Article) and isinstance(second, Article) and isinstance(third, Rejected)
    assert main.title == "Oil Prices Jump After Pipeline Attack"
    assert main.publisher == "Reuters"                          # from "Reuters2 hours ago"
    assert main.text.split("\n") == [
        "Oil prices rose more than 4% on Monday after an attack on a major pipeline in the region. "
        "Traders said supply fears would persist.",
        "The Market Reaction",
        "Brent crude futures climbed to $91 a barrel. Analysts expect volatility to continue this week.",
    ]
    assert (second.origin, second.title, second.publisher) == (
        "pages/oil.txt#2", "Shipping Rates Climb as Insurers Raise Premiums", "Bloomberg")
    captured = datetime(2024, 5, 6, 2, tzinfo=UTC)
    assert (second.published, second.date_source) == (captured - timedelta(hours=1), "relative")
    assert third.path == "pages/oil.txt#3" and "sentences" in third.reason


FEED_LAYOUT = """\
Glacier Retreat Speeds Up in the Alps
Alpine Times · 3h ago
Swiss glaciers lost 4% of their volume this year, scientists said on Tuesday.
Why It Matters
Meltwater feeds rivers that supply drinking water to millions of people.
More for you
Avalanche Season Starts Early
Mountain Post · 45m ago
Rescue teams warned hikers on Wednesday that avalanche risk was unusually high for October.
"""


def test_publisher_and_time_on_one_line_layout():
    main, second = articles_from_text(FEED_LAYOUT, origin="alps.txt", published="2024-10-01")
    assert (main.title, main.publisher) == ("Glacier Retreat Speeds Up in the Alps", "Alpine Times")
    assert main.text.split("\n")[1] == "Why It Matters"
    assert (second.origin, second.title, second.publisher) == ("alps.txt#2", "Avalanche Season Starts Early",
                                                               "Mountain Post")
    assert second.published == datetime(2024, 10, 1, 3, tzinfo=UTC) - timedelta(minutes=45)
    assert "More for you" not in main.text


def test_headings_without_a_time_line_never_split_an_article():
    text = ("The council approved the budget on Tuesday.\nReaction\nTeachers welcomed the extra money.\n"
            "What Happens Next\nThe plan takes effect in January, officials said.")
    [article] = articles_from_text(text, origin="a.txt", title="Budget", publisher=None, published=None)
    assert article.text == text


def test_dates_are_never_invented():
    [article] = articles_from_text(PROSE, origin="a.txt", title="Budget")
    assert (article.published, article.date_source) == (None, "unknown")
    [article] = articles_from_text("LONDON, March 4, 2024 — " + PROSE, origin="b.txt", title="Budget")
    assert (article.published, article.date_source) == (datetime(2024, 3, 4, tzinfo=UTC), "text")


def test_text_dates_prefer_explicit_markers_and_ignore_mentions():
    assert date_from_text(f"Published: 12 June 2023\n{PROSE} The treaty of May 1, 1999 expired.") == \
        datetime(2023, 6, 12, tzinfo=UTC)
    assert date_from_text(f"{PROSE} The ceasefire agreed on May 1, 2024 collapsed.") is None
    assert date_from_text(f"Updated 3:45 PM EDT, Tue March 5, 2024\n{PROSE}") == datetime(2024, 3, 5, tzinfo=UTC)
    assert date_from_text(f"By Jane Roe | Published on 2024-03-07\n{PROSE}") == datetime(2024, 3, 7, tzinfo=UTC)
    assert date_from_text("No date has been set for the summit on March 5, 2025.") is None
    assert date_from_text("Updated figures published on Monday cover May 2, 2024.") is None
    assert date_from_text("Leaders meet in Rome on July 2, 2024. {Jane Roe/Getty Images}") == \
        datetime(2024, 7, 2, tzinfo=UTC)


@pytest.mark.parametrize("raw,expected", [
    ("2025-08-21", datetime(2025, 8, 21, tzinfo=UTC)),
    ("2025-08-21T12:30:00+02:00", datetime(2025, 8, 21, 10, 30, tzinfo=UTC)),
    ("2025-08-21T12:30:00Z", datetime(2025, 8, 21, 12, 30, tzinfo=UTC)),
    ("Thu, 21 Aug 2025 12:30:00 GMT", datetime(2025, 8, 21, 12, 30, tzinfo=UTC)),
    ("Aug. 21, 2025", datetime(2025, 8, 21, tzinfo=UTC)),
    ("last Tuesday", None),
    ("", None),
])
def test_metadata_dates_parse_to_aware_utc(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw,minutes", [
    ("13 minutes ago", 13), ("time3 minutes ago", 3), ("an hour ago", 60), ("2 days ago", 2880),
    ("The Hill1 min ago", 1), ("He left two years ago", None), ("Reuters · 2h ago", 120),
    ("5m ago", 5), ("Sold 3 homes ago", None),
])
def test_relative_times(raw, minutes):
    delta = parse_relative(raw)
    assert (delta.total_seconds() / 60 if delta else None) == minutes


def test_derived_titles_are_short_and_cut_cleanly():
    assert derive_title("Short first sentence here. Then more.") == "Short first sentence here"
    long = ("Officials in the northern province, where heavy rain has fallen for nine days straight, "
            "ordered thousands of residents to leave their homes on Sunday.")
    title = derive_title(long)
    assert title == "Officials in the northern province, where heavy rain has fallen for nine days straight…"
