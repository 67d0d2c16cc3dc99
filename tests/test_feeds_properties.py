"""Feed parsing and item keys at the trust boundary: any bytes, any field, never an exception.

A feed is whatever a remote server sends. `parse_feed` may refuse a document as a whole
(FeedRefused, with a message), but nothing else may escape it; every entry of a readable
feed comes back as an item, usable or carrying its problem; and the keys that say "seen
before" are the same for the same item however the document was encoded.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.feeds.decode import decode_document
from bot.feeds.items import item_keys, link_problem, normalize_link, rejected_key
from bot.feeds.parse import FeedItem, FeedRefused, html_to_text, parse_feed
from bot.text_hygiene import clean_text

FEED_URL = "http://news.test/rss"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Any Unicode, surrogates and controls included: what a hostile field can hold.
hostile_text = st.text(st.characters(exclude_categories=()), max_size=80)
#: Any valid Unicode (no lone surrogates): text a correct encoder can write in any encoding.
valid_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
#: Fragments that broke parsers before: bad references, odd hosts, markup, long runs.
nasty = st.sampled_from([
    "&#0;", "&#xD800;", "&#1114112;", "&#99999999999;", "&amp;#0;", "&amp;#xdfff;", "\x00",
    "\x1b", "\ud800", "\ufffe", "https://news.exampl e/a", "http://[::1", "http://x:99999/",
    "javascript:alert(1)", "<![CDATA[", "]]>", "<", "&", "(" + "/" * 80, "\u202e", "<p>",
    "<script>x</script>", "\r\n", "é", "日本", *"\ue000\ue001\ue002\ue003\ue004",
])
#: Written raw (unescaped) into the XML where a field holds the placeholder: references to
#: characters XML forbids, which used to make the parser raise for the whole document.
RAW_REFS = {"\ue000": "&#0;", "\ue001": "&#xD800;", "\ue002": "&#1114112;",
            "\ue003": "&#99999999999;", "\ue004": "&#x1b;"}
field_text = st.lists(st.one_of(hostile_text, nasty), max_size=4).map("".join)
valid_field = st.lists(st.one_of(valid_text, nasty.filter(lambda s: s != "\ud800")),
                       max_size=4).map("".join)


def _is_clean(text: str) -> bool:
    return clean_text(text) == text


def _check_items(feed) -> None:
    for item in feed.items:
        assert isinstance(item, FeedItem)
        for value in (item.title, item.text, item.guid or "", item.link or "", item.author or ""):
            assert _is_clean(value), repr(value)
        keys = item_keys(item, FEED_URL)
        assert keys and keys == item_keys(item, FEED_URL)


@FAST
@given(st.binary(max_size=2000))
@example(b"<rss version='2.0'><channel><item><title>&#99999999999;</title></item></channel></rss>")
@example(b"<?xml version='1.0' encoding='rot13'?><rss/>")
@example(b"<?xml version='1.0' encoding='utf-32'?>\x1b<rss/>")
@example(b"\xff\xfe<\x00r\x00s\x00s\x00")
def test_arbitrary_bytes_give_a_feed_or_a_refusal(data: bytes):
    content_types = ["", "application/rss+xml; charset=bogus", "text/xml; charset=utf-16"]
    for content_type in content_types:
        try:
            feed = parse_feed(data, FEED_URL, content_type)
        except FeedRefused as exc:
            assert str(exc)  # a message for the user, never an empty refusal
            continue
        _check_items(feed)


def feed_items(text=field_text):
    return st.lists(st.fixed_dictionaries({
        "title": text, "text": text,
        "guid": st.one_of(st.none(), text), "link": st.one_of(st.none(), text),
    }), min_size=1, max_size=5)


def _xml_safe(text: str) -> str:
    """What an XML writer puts in a document (`escape`, no characters XML forbids), except
    that the RAW_REFS placeholders become raw references to forbidden characters."""
    text = escape("".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff")
                          or ("\ue000" <= c <= "\ufffd") or c >= "\U00010000"))
    for placeholder, ref in RAW_REFS.items():
        text = text.replace(placeholder, ref)
    return text


def build_rss(items: list[dict], declared: str = "utf-8") -> str:
    parts = []
    for it in items:
        fields = [f"<title>{_xml_safe(it['title'])}</title>",
                  f"<description>{_xml_safe(it['text'])}</description>"]
        if it["link"] is not None:
            fields.append(f"<link>{_xml_safe(it['link'])}</link>")
        if it["guid"] is not None:
            fields.append(f"<guid isPermaLink=\"false\">{_xml_safe(it['guid'])}</guid>")
        parts.append("<item>" + "".join(fields) + "</item>")
    return (f"<?xml version=\"1.0\" encoding=\"{declared}\"?><rss version=\"2.0\"><channel>"
            f"<title>Hostile</title><link>http://news.test/</link>{''.join(parts)}"
            "</channel></rss>")


@FAST
@given(feed_items(), st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1", "cp1252",
                                      "no-such-codec"]))
def test_hostile_fields_never_raise_and_every_entry_is_an_item(items, declared):
    doc = build_rss(items, declared)
    codec = declared if declared != "no-such-codec" else "utf-8"
    data = doc.encode(codec, "replace") if codec in ("latin-1", "cp1252") \
        else doc.encode(codec, "surrogatepass")
    feed = parse_feed(data, FEED_URL, "application/rss+xml")
    assert len(feed.items) == len(items)  # none silently dropped: usable, or with its problem
    _check_items(feed)
    for item in feed.items:
        if item.problem is None and item.link:
            assert link_problem(item.link) is None


@FAST
@given(feed_items(valid_field))
def test_keys_do_not_depend_on_the_documents_encoding(items):
    doc = build_rss(items)
    as_utf8 = parse_feed(doc.encode("utf-8", "surrogatepass"), FEED_URL)
    as_utf16 = parse_feed(doc.replace('encoding="utf-8"', 'encoding="utf-16"')
                          .encode("utf-16", "surrogatepass"), FEED_URL)
    assert [item_keys(i, FEED_URL) for i in as_utf8.items] == \
        [item_keys(i, FEED_URL) for i in as_utf16.items]


any_item = st.builds(FeedItem, guid=st.one_of(st.none(), field_text),
                     link=st.one_of(st.none(), field_text), title=field_text, text=field_text)


@FAST
@given(any_item, any_item)
def test_item_keys_are_total_stable_and_distinct(a: FeedItem, b: FeedItem):
    keys_a, keys_b = item_keys(a, FEED_URL), item_keys(b, FEED_URL)
    assert keys_a and keys_a == item_keys(a, FEED_URL)
    # A rejected item is remembered by all of it: any change makes it a new try.
    assert rejected_key(a, FEED_URL) == rejected_key(a, FEED_URL)
    if (a.guid, a.link, a.title, a.text) != (b.guid, b.link, b.title, b.text):
        assert rejected_key(a, FEED_URL) != rejected_key(b, FEED_URL)
    assert all(len(k) <= 1100 for k in keys_a)
    # Items that differ in every identity they have share no key.
    if (a.guid and b.guid and a.guid != b.guid and ":" not in a.guid + b.guid
            and not (a.link or b.link) and len(a.text.split()) < 20 > len(b.text.split())
            and (a.title, a.text) != (b.title, b.text)):
        assert not set(keys_a) & set(keys_b)
    if not (a.guid or a.link or b.guid or b.link) and (a.title, a.text) != (b.title, b.text) \
            and len(a.text.split()) < 20 > len(b.text.split()):
        assert keys_a != keys_b


@FAST
@given(st.one_of(field_text, st.from_regex(r"https?://[a-zA-Z0-9.\- ]{0,20}(:[0-9]{1,6})?/[^#]{0,20}"
                                            r"(#.{0,5})?", fullmatch=True)))
def test_links_normalise_without_raising_and_idempotently(link: str):
    once = normalize_link(link)
    assert _is_clean(once)
    assert normalize_link(once) == once
    problem = link_problem(link)
    assert problem is None or isinstance(problem, str) and problem


@FAST
@given(st.binary(max_size=600), st.sampled_from(["", "text/xml; charset=rot13",
                                                 "application/xml; charset=utf-16"]))
def test_decoding_always_gives_clean_utf8(data: bytes, content_type: str):
    decoded = decode_document(data, content_type)
    text = decoded.data.decode("utf-8")  # valid UTF-8, or this raises
    assert _is_clean(text)


@FAST
@given(field_text)
def test_html_to_text_is_total_and_clean(html: str):
    assert _is_clean(html_to_text(html))
