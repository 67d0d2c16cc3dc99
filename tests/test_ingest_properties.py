"""Property tests at the trust boundary: readers, hygiene, cleaning, splitting, dates, sentences.

Whatever arrives, nothing raises, what comes out is hygiene-clean text, and a good record
beside a bad one still comes out. bench/fuzz.py runs the same surfaces with 10,000 inputs each.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest.clean import clean_lines
from bot.ingest.dates import EARLIEST, LATEST, date_from_text, parse_date, parse_relative
from bot.ingest.model import Article, Rejected
from bot.ingest.pipeline import articles_from_paths, articles_from_text
from bot.ingest.split import split_page
from bot.text_hygiene import clean_text, is_clean
from summarizer.sentences import split_sentences

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FILES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: What the patterns and readers look at, so that examples hit them often.
BAIT = st.sampled_from([
    "Read:more", "Related Articles", "13 minutes ago", "time3 minutes ago", "• Reuters", "- The Times",
    "Published: Aug. 18, 2025", "WASHINGTON, Aug. 18, 2025 —", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00", "(AP Photo/Evan Vucci)", "{Getty Images}", "Source: CNN", "Subscribe now",
    "By Jane Roe", "5 min read", "Home › World", "Mr. Smith said.", "U.S. officials met.", "\n", "\n\n",
    "\r\n", "(" + "/" * 60, "7" * 60, "." * 40, "\u202e", "\u2028", "\ud800", "\x00", "\x85", "\u0301",
    "The council approved the plan after a long debate on Monday.",
])
ANY_CHAR = st.characters(exclude_categories=())          # surrogates and controls included
HOSTILE = st.lists(st.one_of(ANY_CHAR, BAIT, st.text(max_size=20)), max_size=40).map("".join)
GOOD = {"title": "Dam repairs begin", "text": "Engineers began repairing the Millbrook dam on Monday, "
        "two weeks after record rainfall forced the evacuation of 4,000 residents downstream."}


def assert_clean_articles(items: list) -> None:
    for item in items:
        assert isinstance(item, Article | Rejected)
        if isinstance(item, Rejected):
            assert not item.reason.startswith("internal error"), item
            assert "\n" not in item.path + item.reason and is_clean(item.reason)
        else:
            for value in (item.text, item.title, item.publisher or "", item.url or ""):
                assert is_clean(value), (value, item)
            assert item.published is None or EARLIEST <= item.published < LATEST


@FAST
@given(HOSTILE)
def test_hygiene_gives_valid_nfc_text_without_controls_or_bidi(text):
    out = clean_text(text)
    assert is_clean(out)                                   # idempotent
    out.encode("utf-8")                                    # no lone surrogates
    assert unicodedata.is_normalized("NFC", out)
    assert all(c in "\n\t" or unicodedata.category(c) not in {"Cc", "Cs"} for c in out)
    assert not set(out) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\r\u2028\u2029")


@FILES
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".txt", ".md", ".html", ".jsonl", ""]))
def test_any_bytes_as_a_file_are_read_or_rejected_never_raised(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"page{suffix}"
        path.write_bytes(data)
        assert_clean_articles(list(articles_from_paths([path])))


@FILES
@given(data=HOSTILE, encoding=st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1"]))
def test_any_text_in_any_encoding_is_read_or_rejected_never_raised(data, encoding):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.txt"
        path.write_bytes(data.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace"))
        assert_clean_articles(list(articles_from_paths([path])))


JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), HOSTILE),
                           lambda kids: st.lists(kids, max_size=3) | st.dictionaries(HOSTILE, kids, max_size=3),
                           max_leaves=8)
BAD_LINES = st.one_of(
    st.binary(max_size=300).map(lambda b: b.replace(b"\n", b" ")),
    HOSTILE.map(lambda t: t.replace("\n", " ").replace("\r", " ").encode("utf-8", "surrogatepass")),
    st.dictionaries(st.sampled_from(["text", "title", "published", "date", "url", "publisher", "x"]),
                    JSON_VALUES, max_size=5).map(lambda d: json.dumps(d).encode()),
    st.integers(2, 6000).map(lambda n: ("[" * n).encode()),
)


@FILES
@given(bad=BAD_LINES, before=st.booleans())
def test_a_good_jsonl_record_beside_any_bad_line_still_comes_out(bad, before):
    good = json.dumps(GOOD).encode()
    lines = [bad, good] if before else [good, bad]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        items = list(articles_from_paths([path]))
    assert_clean_articles(items)
    good_at = f"{path.as_posix()}:{2 if before else 1}"
    assert [i.title for i in items if isinstance(i, Article) and i.origin == good_at] == [GOOD["title"]]
    bad_at = f"{path.as_posix()}:{1 if before else 2}"
    assert all(getattr(i, "origin", None) == bad_at or getattr(i, "path", None) == bad_at
               for i in items if getattr(i, "origin", None) != good_at)


@FAST
@given(HOSTILE)
def test_a_whole_page_never_raises_and_gives_clean_articles(text):
    assert_clean_articles(list(articles_from_text(text, origin="page.txt")))


@FAST
@given(st.lists(HOSTILE, max_size=12))
def test_cleaning_never_raises_and_keeps_clean_lines_clean(lines):
    kept = clean_lines(lines)
    assert all(line and line == line.strip() for line in kept)
    clean_input = clean_text("\n".join(lines)).split("\n")
    assert all(is_clean(line) for line in clean_lines(clean_input))


@FAST
@given(st.lists(st.one_of(HOSTILE, BAIT), max_size=16))
def test_splitting_never_raises_and_every_line_comes_from_the_page(lines):
    parts = split_page(lines)
    assert parts[0].position == 1 and [p.position for p in parts] == list(range(1, len(parts) + 1))
    assert all(line in lines for part in parts for line in part.lines)


@FAST
@given(HOSTILE)
def test_every_sentence_is_quoted_verbatim_from_its_text(text):
    sentences = split_sentences(text)
    assert all(s and s == s.strip() and s in text for s in sentences)


ZONES = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-23 * 60 - 59, 23 * 60 + 59))
DATE_VALUES = st.one_of(
    HOSTILE, BAIT, st.integers(), st.floats(), st.dates(),
    st.datetimes(timezones=st.none() | ZONES), st.just(datetime.max.replace(tzinfo=UTC)),
    st.just(date.min), st.from_regex(r"\A[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}T[0-9:]{1,8}[+-][0-9]{2}:[0-9]{2}\Z"),
)


@FAST
@given(DATE_VALUES)
def test_dates_are_plausible_utc_or_none_never_an_exception(value):
    found = parse_date(value)
    assert found is None or (found.tzinfo == UTC and EARLIEST <= found < LATEST)


@FAST
@given(HOSTILE)
def test_dates_in_text_are_plausible_or_none(text):
    found = date_from_text(text)
    assert found is None or EARLIEST <= found < LATEST
    ago = parse_relative(text)
    assert ago is None or ago >= timedelta(0)


@FILES
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".txt", ".html", ".jsonl", ".md"]))
def test_a_good_file_beside_any_bad_file_in_a_folder_still_comes_out(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / f"a_bad{suffix}").write_bytes(data)
        (folder / "b_good.txt").write_text(f"{GOOD['title']}\n{GOOD['text']}\n", encoding="utf-8")
        items = list(articles_from_paths([folder]))
    assert_clean_articles(items)
    assert [i.title for i in items if isinstance(i, Article) and i.origin.endswith("/b_good.txt")] == [GOOD["title"]]
