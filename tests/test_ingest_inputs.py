"""Input formats and bad input: HTML through trafilatura, JSONL, manifests, and one clear reason each."""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest.model import Article, Rejected
from bot.ingest.pipeline import articles_from_html, articles_from_paths

BODY = ("Engineers began repairing the Millbrook dam on Monday, two weeks after record rainfall "
        "forced the evacuation of 4,000 residents downstream.")

HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Dam Repairs Begin After Floods | The Valley Herald</title>
<meta property="og:title" content="Dam Repairs Begin After Floods">
<meta property="og:site_name" content="The Valley Herald">
<meta property="article:published_time" content="2024-03-05T08:30:00+01:00">
<link rel="canonical" href="https://valleyherald.example/news/dam-repairs">
</head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<div class="promo">Subscribe today and get 50% off your first year!</div></header>
<main><article>
<h1>Dam Repairs Begin After Floods</h1>
<p class="byline">By Jane Roe, March 5, 2024</p>
<p>""" + BODY + """</p>
<p>The regional water authority said the work would take at least three months and cost about
12 million euros. "Safety comes first," its director, Marta Klein, told reporters at the site.</p>
<h2>Residents return</h2>
<p>Most families have returned to their homes, but some streets near the river remain closed.
Local businesses said they were still counting the cost of the floods.</p>
<figure><img src="dam.jpg"><figcaption>Workers inspect the spillway on Monday. (Photo: Tom Lane/Valley Herald)</figcaption></figure>
<p>The authority plans to publish a full inspection report in April, Klein said.</p>
<p>Sign up for our free morning newsletter</p>
</article>
<section class="comments"><h3>Comments</h3><p>No comments yet. Be the first to comment!</p></section>
<aside><h3>Related Articles</h3><ul><li><a href="/a">Rain warning extended</a></li>
<li><a href="/b">River levels fall</a></li></ul></aside></main>
<footer><p>© 2024 The Valley Herald. All rights reserved.</p><p>Download our app</p></footer>
</body></html>
"""


def run(paths: list[str | Path]) -> tuple[list[Article], list[Rejected]]:
    items = list(articles_from_paths(paths, max_bytes=1024 * 1024))
    return ([i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Rejected)])


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Work inside tmp_path so paths are shown relative, as a user types them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_html_page_gives_main_text_and_metadata(here):
    (here / "dam.html").write_text(HTML, encoding="utf-8")
    [article], rejected = run(["dam.html"])
    assert rejected == []
    assert article.title == "Dam Repairs Begin After Floods"
    assert article.publisher == "The Valley Herald"
    assert (article.published, article.date_source) == (datetime(2024, 3, 5, 7, 30, tzinfo=UTC), "metadata")
    assert article.url == "https://valleyherald.example/news/dam-repairs"
    assert article.origin == "dam.html"
    lines = article.text.split("\n")
    assert lines[0] == BODY and "Residents return" in lines
    assert lines[-1] == "The authority plans to publish a full inspection report in April, Klein said."
    for junk in ("Subscribe", "Home", "Comments", "Related", "Rain warning", "©", "app", "newsletter", "Photo"):
        assert junk not in article.text


def test_articles_from_html_is_usable_by_feeds_with_their_own_metadata():
    [article] = articles_from_html(HTML.encode(), "https://feed.example/x", "feed:valley#12",
                                   publisher="Valley Herald (RSS)", published="2024-03-06")
    assert (article.publisher, article.published, article.origin) == (
        "Valley Herald (RSS)", datetime(2024, 3, 6, tzinfo=UTC), "feed:valley#12")
    [rejected] = articles_from_html("<html><body><nav>Home</nav></body></html>", None, "empty.html")
    assert isinstance(rejected, Rejected) and "no article text" in rejected.reason


def test_jsonl_one_article_a_line_with_bad_lines_reported(here):
    good = {"title": "Dam repairs begin", "text": BODY, "url": "https://x.example/1",
            "publisher": "Valley Herald", "published": "2024-03-05T10:00:00Z"}
    no_meta = {"text": BODY.replace("Monday", "Tuesday") + " The council met later."}
    lines = [json.dumps(good), "{not json", json.dumps({"title": "No text"}), "", json.dumps([1, 2]),
             json.dumps({"title": "Blank", "text": "  "}), json.dumps(no_meta)]
    (here / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles, rejected = run(["batch.jsonl"])
    assert [(a.origin, a.title, a.publisher, a.url) for a in articles] == [
        ("batch.jsonl:1", "Dam repairs begin", "Valley Herald", "https://x.example/1"),
        ("batch.jsonl:7", "Engineers began repairing the Millbrook dam on Tuesday…", None, None),
    ]
    assert articles[0].published == datetime(2024, 3, 5, 10, tzinfo=UTC)
    assert (articles[1].published, articles[1].date_source) == (None, "unknown")
    assert [(r.path, r.reason) for r in rejected] == [
        ("batch.jsonl:2", "bad JSON: Expecting property name enclosed in double quotes at column 2"),
        ("batch.jsonl:3", 'missing "text"'),
        ("batch.jsonl:5", "expected a JSON object, got list"),
        ("batch.jsonl:6", '"text" is empty or not a string'),
    ]


def test_jsonl_accepts_common_field_names_of_other_datasets(here):
    record = {"headline": "Dam repairs begin", "article": BODY, "date": "2024-03-05", "source": "Herald",
              "link": "https://x.example/2"}
    (here / "other.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    [article], rejected = run(["other.jsonl"])
    assert rejected == []
    assert (article.title, article.text, article.publisher, article.url, article.published) == (
        "Dam repairs begin", BODY, "Herald", "https://x.example/2", datetime(2024, 3, 5, tzinfo=UTC))


def test_jsonl_oversize_and_undecodable_lines_are_refused_alone(here):
    good = json.dumps({"title": "Fine", "text": BODY}).encode()
    huge = json.dumps({"title": "Huge", "text": "word " * 300_000}).encode()      # ~1.5 MB
    latin = json.dumps({"title": "x", "text": "y"}).encode().replace(b"y", b"caf\xe9")
    (here / "mixed.jsonl").write_bytes(b"\n".join([huge, good, latin, good]) + b"\n")
    articles, rejected = run(["mixed.jsonl"])
    assert [a.origin for a in articles] == ["mixed.jsonl:2", "mixed.jsonl:4"]
    assert [(r.path, r.reason) for r in rejected] == [
        ("mixed.jsonl:1", "line too long: over 1.0 MB limit"),
        ("mixed.jsonl:3", "line is not UTF-8 (bad byte at offset 27)"),
    ]


def test_a_fifo_in_a_folder_is_refused_not_read(here):
    (here / "feed").mkdir()
    os.mkfifo(here / "feed" / "pipe.txt")
    assert run(["feed"]) == ([], [Rejected("feed/pipe.txt", "not a regular file")])


def test_empty_folder_is_reported(here):
    (here / "nothing").mkdir()
    assert run(["nothing"]) == ([], [Rejected("nothing", "folder has no files to ingest")])


def test_manifest_supplies_metadata_for_its_folder(here):
    pages = here / "pages"
    (pages / "sub").mkdir(parents=True)
    (pages / "a.txt").write_text(f"{BODY}\nThe council met later.", encoding="utf-8")
    (pages / "sub" / "b.txt").write_text(f"Second Story Headline\n{BODY}", encoding="utf-8")
    (pages / "manifest.json").write_text(json.dumps({"pages": [
        {"file": "a.txt", "title": "Dam work", "publisher": "unknown", "published": "2024-03-05"}]}))
    articles, rejected = run(["pages/"])
    assert rejected == []
    assert [(a.origin, a.title, a.publisher, a.published) for a in articles] == [
        ("pages/a.txt", "Dam work", None, datetime(2024, 3, 5, tzinfo=UTC)),
        ("pages/sub/b.txt", "Second Story Headline", None, None),   # no manifest there: from the text
    ]


def test_each_bad_input_gets_one_reason_and_the_batch_goes_on(here):
    (here / "good.txt").write_text(f"Good Headline\n{BODY}", encoding="utf-8")
    (here / "empty.txt").write_bytes(b"")
    (here / "blank.txt").write_text("  \n\n ", encoding="utf-8")
    (here / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    noise = random.Random(7)
    (here / "noise.txt").write_bytes(bytes(noise.randrange(128, 256) for _ in range(600)))
    with open(here / "huge.txt", "wb") as fh:         # 50 MB, sparse: nothing is written or read
        fh.truncate(50 * 1024 * 1024)
    folder = here / "mixed"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(b"%PDF-1.7")
    (folder / "notes.txt").write_text(f"Notes Headline\n{BODY}", encoding="utf-8")
    (folder / ".hidden.txt").write_text("ignored", encoding="utf-8")
    articles, rejected = run(["good.txt", "missing.txt", "empty.txt", "blank.txt", "photo.txt",
                              "noise.txt", "huge.txt", "mixed"])
    assert [a.origin for a in articles] == ["good.txt", "mixed/notes.txt"]
    reasons = {r.path: r.reason for r in rejected}
    assert reasons == {
        "missing.txt": "no such file or directory",
        "empty.txt": "empty file",
        "blank.txt": "empty file (only whitespace)",
        "photo.txt": "binary file, not text",
        "noise.txt": reasons["noise.txt"],
        "huge.txt": "file too large: 50.0 MB (limit 1.0 MB)",
        "mixed/report.pdf": reasons["mixed/report.pdf"],
    }
    assert reasons["noise.txt"].startswith("cannot decode text: not UTF-8")
    assert reasons["mixed/report.pdf"].startswith("skipped: unsupported file type .pdf")


def test_legacy_encoded_text_is_decoded_not_rejected(here):
    text = ("Café owners in Besançon said the new façade rules would cost them dearly. "
            "The mayor said the rules protect the old town's character.")
    (here / "cp.txt").write_bytes(f"Façade Rules Anger Café Owners\n{text}".encode("cp1252"))
    [article], rejected = run(["cp.txt"])
    assert rejected == [] and article.text == text and article.title == "Façade Rules Anger Café Owners"


def test_absolute_paths_are_shown_as_given(tmp_path):
    (tmp_path / "x.txt").write_text(f"Headline Here\n{BODY}", encoding="utf-8")
    [article], _ = run([tmp_path])
    assert article.origin == f"{tmp_path.as_posix()}/x.txt"
    assert os.path.isabs(article.origin)


def test_page_of_furniture_only_is_rejected(here):
    (here / "junk.txt").write_text("logo\nSubscribe now\nComments\n0\nDOWNLOAD THE APP\n", encoding="utf-8")
    articles, [rejected] = run(["junk.txt"])
    assert articles == [] and rejected.reason == "no article text after removing page furniture"
