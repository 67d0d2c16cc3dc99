"""Feed parsing from bytes: RSS, Atom, teasers, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feeds.items import item_keys, normalize_link
from bot.feeds.parse import FeedItem, FeedRefused, html_to_text, parse_feed
from test_feeds_support import BILLION_LAUGHS, BROKEN, STORIES, XXE, atom, rss

WHEN = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_rss2_items_become_plain_text_with_dates():
    title, text = STORIES["bridge"]
    doc = rss("Marlow Daily", [{"title": title, "text": text, "guid": "b-1",
                                "link": "http://news.test/bridge?utm_source=rss", "date": WHEN}])
    feed = parse_feed(doc.encode(), "http://news.test/rss")
    assert feed.title == "Marlow Daily" and feed.warning is None
    [item] = feed.items
    assert item.title == title and item.guid == "b-1"
    assert item.published == WHEN
    assert item.text.split("\n") == text.split("\n")  # paragraphs kept, tags gone
    assert not item.is_teaser


def test_atom_entries():
    title, text = STORIES["orchestra"]
    doc = atom("Northvale Arts", [{"title": title, "text": text, "guid": "urn:uuid:1",
                                   "link": "http://news.test/orchestra", "date": WHEN}])
    feed = parse_feed(doc.encode(), "http://news.test/atom")
    assert feed.title == "Northvale Arts"
    assert [(i.title, i.link, i.published) for i in feed.items] == [
        (title, "http://news.test/orchestra", WHEN)]


def test_a_short_summary_is_a_teaser():
    doc = rss("T", [{"title": "Short", "text": "Only a couple of words here.", "guid": "1"}])
    assert parse_feed(doc.encode(), "http://news.test/rss").items[0].is_teaser


@pytest.mark.parametrize("doc", [BILLION_LAUGHS.encode(), XXE.encode(),
                                 BILLION_LAUGHS.encode("utf-16")])
def test_entity_declarations_are_refused_before_parsing(doc):
    with pytest.raises(FeedRefused, match=r"^refused: http://news.test/rss declares XML entities"):
        parse_feed(doc, "http://news.test/rss")


def test_entities_in_an_encoding_the_xml_parser_lacks_are_refused():
    doc = BILLION_LAUGHS.replace('<?xml version="1.0"?>', "").encode("utf-32")
    with pytest.raises(FeedRefused, match="declares XML entities"):
        parse_feed(doc, "http://news.test/rss")


def test_entities_after_a_syntax_error_are_still_refused():
    doc = b"<rss><channel></rss><!DOCTYPE x [<!ENTITY a 'b'>]>"
    with pytest.raises(FeedRefused, match="declares XML entities"):
        parse_feed(doc, "http://news.test/rss")


def test_broken_xml_is_a_clear_message():
    with pytest.raises(FeedRefused) as err:
        parse_feed(BROKEN.encode(), "http://news.test/broken")
    assert str(err.value).startswith("http://news.test/broken is not a valid RSS or Atom feed: ")
    assert "line" in str(err.value)


def test_slightly_malformed_feed_is_recovered_with_a_warning():
    title, text = STORIES["buses"]
    doc = rss("Dunmore", [{"title": title, "text": text, "guid": "x1"}])
    doc = doc.replace("<title>Dunmore</title>", "<title>Dunmore & District</title>")
    feed = parse_feed(doc.encode(), "http://news.test/rss")
    assert [i.title for i in feed.items] == [title]
    assert feed.warning and feed.warning.startswith("the feed's XML is malformed")


def test_a_web_page_points_to_its_feed():
    page = (b"<!DOCTYPE html><html><head><link rel='alternate' type='application/rss+xml' "
            b"href='http://news.test/feed.xml'></head><body><p>Hello</p></body></html>")
    with pytest.raises(FeedRefused, match="is a web page, not a feed; it links to a feed: "
                                          "http://news.test/feed.xml"):
        parse_feed(page, "http://news.test/")


def test_bytes_that_name_a_file_are_not_opened():
    with pytest.raises(FeedRefused, match="is not a valid RSS or Atom feed"):
        parse_feed(b"/etc/passwd", "http://news.test/rss")


def test_html_to_text_keeps_paragraphs():
    assert html_to_text("<p>One <b>two</b>.</p><p>Three<br>four</p>") == "One two.\nThree\nfour"
    assert html_to_text("plain  text") == "plain text"


def test_item_keys():
    item = FeedItem(guid="42", link="HTTP://News.Test/a?utm_source=x&id=7#top", title="t",
                    text="word " * 30)
    keys = item_keys(item, "http://news.test/rss")
    assert keys[0] == "guid:http://news.test/rss#42"  # a bare number is only unique per feed
    assert keys[1] == "url:http://news.test/a?id=7"
    assert keys[2].startswith("text:")
    uri = FeedItem(guid="tag:news.test,2026:42", link=None, title="t", text="short")
    assert item_keys(uri, "http://news.test/rss") == ["guid:tag:news.test,2026:42"]
    assert normalize_link("https://x.test/p?fbclid=1") == "https://x.test/p"


def test_nested_and_huge_values_are_read_not_raised():
    deep = "<div>" * 100_000 + "Deep text." + "</div>" * 100_000
    assert html_to_text(deep) == "Deep text."  # past libxml2's depth limit: tags stripped
    doc = rss("T", [{"title": "Headline " * 100_000, "text": "Body text here.", "guid": "1"}])
    [item] = parse_feed(doc.encode(), "http://news.test/rss").items
    assert len(item.title) == 300 and item.title.endswith("…") and item.problem is None


def test_an_entry_without_title_or_text_is_an_item_with_its_problem():
    doc = rss("T", [{"title": "", "text": "", "guid": "g1"},
                    {"title": "Fine", "text": "Some text.", "guid": "g2"}])
    items = parse_feed(doc.encode(), "http://news.test/rss").items
    assert [(i.guid, i.problem) for i in items] == [
        ("g1", "the entry has neither a title nor any text"), ("g2", None)]
