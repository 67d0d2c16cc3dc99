"""From paths to Articles: read, split, clean, date, and hand over to the Index.

`articles_from_paths` is a pure generator (no database), so thousands of files
stream through in constant memory and tests can look at every Article.
`run_ingest` feeds it to `Index.add_many` in batches and counts what happened.
Feeds and URL fetching reuse `articles_from_html` on the HTML they download.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import text_hygiene
from bot.index.db import StorageError
from bot.index.rows import AddStatus
from bot.ingest.clean import Evidence, clean_lines, has_sentence_end, is_furniture, norm, words_of
from bot.ingest.dates import date_from_text, parse_date, shift
from bot.ingest.model import Article, Rejected
from bot.ingest.readers import (
    DEFAULT_MAX_BYTES, Input, PageMeta, clean_value, decode_lenient, decode_text, discover,
    iter_jsonl_lines, read_page,
)
from bot.ingest.split import Part, split_page
from summarizer.sentences import split_sentences

if TYPE_CHECKING:  # pragma: no cover
    from bot.index.store import Index

log = logging.getLogger(__name__)
Item = Article | Rejected
#: Longest derived title; the first sentence is cut at a clause or word boundary.
TITLE_MAX_CHARS = 100
#: Fewer pages than this and no progress bar: it would only flash.
PROGRESS_MIN_PAGES = 20


# --- one document --------------------------------------------------------------------------

def articles_from_text(text: str, *, origin: str, title: str | None = None,
                       publisher: str | None = None, published: object = None,
                       url: str | None = None, split: bool = True) -> Iterator[Item]:
    """A plain-text page (possibly an aggregator page) -> its articles, main one first.

    The text passes `text_hygiene.clean_text` first, whoever calls (files, JSONL, HTML,
    feeds): nothing after this sees a lone surrogate, a control character or a bidi override.
    """
    lines = text_hygiene.clean_text(text).split("\n")
    url = clean_value(url)
    parts = split_page(lines) if split else [Part(position=1, lines=lines)]
    main = parts[0]
    page_date = parse_date(published)
    title = clean_value(title)
    main_title = title or _title_line(main.lines)
    evidence = Evidence()
    body = clean_lines(main.lines, title=main_title, evidence=evidence)
    date_source = "metadata" if page_date else "unknown"
    if page_date is None:
        page_date = date_from_text("\n".join(main.lines))
        date_source = "text" if page_date else "unknown"
    if main_title is None and body:
        main_title = derive_title(body[0])
    main_pub = clean_value(publisher) or evidence.source or main.publisher
    problem = _not_an_article(body)
    if problem:
        yield Rejected(origin, problem)
    else:
        yield Article(title=main_title or "", text="\n".join(body), publisher=main_pub,
                      published=page_date, url=url, origin=origin, date_source=date_source)
    # The page was captured `main.ago` after its main article appeared.
    captured = shift(page_date, main.ago)
    for part in parts[1:]:
        yield from _related_story(part, origin=origin, captured=captured, page_date=page_date)


def _related_story(part: Part, *, origin: str, captured: datetime | None,
                   page_date: datetime | None = None) -> Iterator[Item]:
    where = f"{origin}#{part.position}"
    evidence = Evidence()
    body = clean_lines(part.lines, title=part.title, evidence=evidence)
    title = part.title or (derive_title(body[0]) if body else "")
    problem = _not_an_article(body)
    if problem:
        yield Rejected(where, f"story {_shorten(title, 60)!r}: {problem}")
        return
    publisher = part.publisher
    if evidence.original and (publisher is None or norm(evidence.original) != norm(publisher)):
        publisher = f"{evidence.original} (via {publisher})" if publisher else evidence.original
    elif evidence.source and publisher is None:
        publisher = evidence.source
    published = shift(captured, part.ago, back=True) if part.ago is not None else None
    if published is not None:
        source = "relative"
        # A date-only page date means "some time that day": a story posted minutes or
        # hours before the capture belongs to that day, not to the evening before.
        if (page_date is not None and page_date.time() == time(0) and published < page_date
                and part.ago is not None and part.ago < timedelta(days=1)):
            published = page_date
    else:
        published = date_from_text("\n".join(part.lines))
        source = "text" if published else "unknown"
    yield Article(title=title, text="\n".join(body), publisher=publisher, published=published,
                  origin=where, date_source=source)


def articles_from_html(html: bytes | str, url: str | None, origin: str, *,
                       title: str | None = None, publisher: str | None = None,
                       published: object = None) -> Iterator[Item]:
    """An HTML page -> its articles, via trafilatura's main-text and metadata extraction.

    Given title/publisher/published (a manifest, a feed entry) win over the page's own.
    """
    import trafilatura  # heavy import, only when HTML is actually seen

    # Decoded and made hygiene-clean here, not by lxml: control characters and odd
    # encodings made lxml raise, and trafilatura would also unpack gzip of any size.
    html = text_hygiene.clean_text(decode_lenient(html) if isinstance(html, bytes) else html)
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False,
            include_images=False, favor_precision=True,
            date_extraction_params={"extensive_search": False, "original_date": True,
                                    "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
        )
    except Exception as exc:  # noqa: BLE001 - a broken page is one rejection, not a crash
        yield Rejected(origin, one_line(f"could not parse HTML: {type(exc).__name__}: {exc}"))
        return
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        yield Rejected(origin, "no article text found in the HTML")
        return
    meta_date = published if published not in (None, "") else getattr(doc, "date", None)
    yield from articles_from_text(
        text, origin=origin, url=url or getattr(doc, "url", None),
        title=clean_value(title) or clean_value(getattr(doc, "title", None)),
        publisher=clean_value(publisher) or clean_value(getattr(doc, "sitename", None)),
        published=meta_date,
    )


#: JSONL field names, the documented one first, then common aliases from other datasets.
FIELDS = {
    "text": ("text", "article", "body", "content"),
    "title": ("title", "headline"),
    "publisher": ("publisher", "source", "site", "sitename"),
    "published": ("published", "date", "published_at", "pubDate", "datetime"),
    "url": ("url", "link"),
}


def article_from_record(record: Any, *, origin: str) -> Item:
    """One JSONL object {title, text, url?, publisher?, published?} -> an Article."""
    if not isinstance(record, dict):
        return Rejected(origin, f"expected a JSON object, got {type(record).__name__}")
    got = {name: next((record[k] for k in keys if record.get(k) not in (None, "")), None)
           for name, keys in FIELDS.items()}
    text = got["text"]
    if text is None:
        return Rejected(origin, 'missing "text"')
    if not isinstance(text, str) or not text.strip():
        return Rejected(origin, '"text" is empty or not a string')
    as_str = {k: v if isinstance(v, str) else None for k, v in got.items()}
    return next(articles_from_text(text, origin=origin, title=as_str["title"], publisher=as_str["publisher"],
                                   published=got["published"], url=as_str["url"], split=False))


# --- files and folders ---------------------------------------------------------------------

def articles_from_paths(paths: Iterable[str | Path], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """Every Article (and every Rejected input, with its reason) under the given paths."""
    for inp in discover(list(paths)):
        if isinstance(inp, Rejected):
            yield inp
        else:
            yield from articles_from_input(inp, max_bytes=max_bytes)


def articles_from_input(inp: Input, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """The articles of one discovered file, whatever its kind; never raises."""
    return guarded(_articles_from_input(inp, max_bytes), inp.shown)


def guarded(items: Iterator[Item], where: str) -> Iterator[Item]:
    """`items`, with an unexpected exception turned into one rejection of `where`.

    The last line of defence, not the fix: readers, cleaning, splitting and dates are
    total on any input (bench/fuzz.py checks), so this only fires on a bug, and then
    costs one file (or one JSONL line), never the batch. Articles already produced stay.
    """
    try:
        yield from items
    except Exception as exc:  # noqa: BLE001 - reported to the user with its type, logged with its trace
        yield internal_error(where, exc)


def internal_error(where: str, exc: BaseException) -> Rejected:
    """A rejection for a bug met while reading `where`; the trace goes to the debug log."""
    log.debug("unexpected error while reading %s", where, exc_info=exc)
    return Rejected(where, one_line(f"internal error while reading: {type(exc).__name__}: {exc}"))


def one_line(reason: str, limit: int = 200) -> str:
    """A reason fit for a report, which shows one line per rejection whatever an exception said."""
    return _shorten(text_hygiene.clean_line(reason), limit)


def _articles_from_input(inp: Input, max_bytes: int) -> Iterator[Item]:
    if inp.kind == "jsonl":
        yield from _jsonl(inp, max_bytes)
        return
    data = read_page(inp, max_bytes)
    if isinstance(data, Rejected):
        yield data
        return
    meta = inp.meta or PageMeta()
    if inp.kind == "html":
        yield from articles_from_html(data, meta.url, inp.shown, title=meta.title,
                                      publisher=meta.publisher, published=meta.published)
        return
    text = decode_text(data, inp.shown)
    if isinstance(text, Rejected):
        yield text
        return
    yield from articles_from_text(text, origin=inp.shown, title=meta.title, publisher=meta.publisher,
                                  published=meta.published, url=meta.url)


def _jsonl(inp: Input, max_bytes: int) -> Iterator[Item]:
    for entry in iter_jsonl_lines(inp, max_bytes):
        if isinstance(entry, Rejected):
            yield entry
            continue
        number, raw = entry
        where = f"{inp.shown}:{number}"
        record = parse_json_line(raw, where)
        if isinstance(record, Rejected):
            yield record
            continue
        try:
            yield article_from_record(record, origin=where)
        except Exception as exc:  # noqa: BLE001 - the last line of defence, see `guarded`
            yield internal_error(where, exc)


def parse_json_line(raw: bytes, where: str) -> Any:
    """One JSONL line -> its value, or a Rejected saying what is wrong with it."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return Rejected(where, f"line is not UTF-8 (bad byte at offset {exc.start})")
    except json.JSONDecodeError as exc:
        return Rejected(where, f"bad JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Rejected(where, "bad JSON: nested too deeply")
    except ValueError as exc:      # e.g. an integer of more than 4,300 digits
        return Rejected(where, f"bad JSON: {_shorten(str(exc), 80)}")


# --- titles and sanity -----------------------------------------------------------------------

def _title_line(lines: list[str]) -> str | None:
    """A page without a known title: its first short line without sentence punctuation."""
    for line in lines[:8]:
        text = " ".join(line.split())
        if not text or is_furniture(text):
            continue
        if len(words_of(text)) <= 20 and not has_sentence_end(text) or text.endswith("?") and len(text) < 120:
            return text
        return None
    return None


def derive_title(paragraph: str) -> str:
    """A title from the first sentence, cut at a clause or word boundary and marked with "…"."""
    sentence = (split_sentences(paragraph) or [paragraph])[0].strip()
    sentence = sentence.rstrip(".!")      # not re.sub("[.!]+$"): quadratic on "a....b."
    if len(sentence) <= TITLE_MAX_CHARS:
        return sentence
    head = sentence[:TITLE_MAX_CHARS]
    cut = max(head.rfind(","), head.rfind(" —"), head.rfind(";"), head.rfind(":"))
    if cut < 40:
        cut = head.rfind(" ")
    return head[:cut].rstrip(" ,;:—") + "…"


#: A sentence ending: a full stop after a lower-case word, then a space or the end.
_FULL_STOP = re.compile(r"(?:[a-z0-9%)]|[A-Z]{2})\s?\.[\"'’”)]*(?:\s|$)")


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def _not_an_article(body: list[str]) -> str | None:
    """Why these lines are not a story (empty, furniture only, a list of headlines), or None.

    Headlines never end in a full stop; prose does, so one full stop after a
    lower-case word tells a story from a list of links.
    """
    if not body:
        return "no article text after removing page furniture"
    text = "\n".join(body)
    if len(words_of(text)) < 8 or not _FULL_STOP.search(text):
        return "no full sentences (only headlines or links)"
    return None


# --- the report ------------------------------------------------------------------------------

@dataclass
class IngestReport:
    """What one `briefbot ingest` did, for people (summary) and scripts (as_json)."""

    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"pages": self.pages, "stored": self.stored, "duplicates": self.duplicates,
                "rejected": [{"path": r["path"], "reason": r["reason"]} for r in self.rejected]}

    def summary(self) -> str:
        """One line: "Read 5 pages: 9 articles stored, 1 duplicate merged, 1 rejected."""
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"
        return (f"Read {n(self.pages, 'page')}: {n(self.stored, 'article')} stored, "
                f"{n(self.duplicates, 'duplicate')} merged, {len(self.rejected)} rejected.")

    def lines(self) -> list[str]:
        """The summary line, then one line per rejected input: "PATH: reason"."""
        return [self.summary(), *(f"  rejected {r['path']}: {r['reason']}" for r in self.rejected)]


def run_ingest(paths: Iterable[str | Path], index: Index, *, progress: bool = True,
               max_bytes: int | None = None, batch_size: int = 32,
               report: IngestReport | None = None) -> IngestReport:
    """Ingest files and folders into the index; never stops on one bad input.

    `max_bytes` defaults to the `ingest_max_bytes` setting of the index (10 MiB when
    there is no such setting); a larger page is rejected unread. A storage fault (disk
    full, read-only file) stops it with StorageError; a `report` passed in then holds
    the exact counts up to the fault.
    """
    if max_bytes is None:
        max_bytes = int(getattr(getattr(index, "settings", None), "ingest_max_bytes", DEFAULT_MAX_BYTES))
    report = IngestReport() if report is None else report
    inputs = list(discover(list(paths)))
    files = [i for i in inputs if isinstance(i, Input)]
    bar = _progress_bar(files, enabled=progress)
    pages: set[str] = set()
    batch: list[Article] = []
    read_bytes = 0        # bytes whose articles are read but not stored yet: the bar shows stored work

    def flush() -> None:
        nonlocal read_bytes
        _store(batch, index, report)
        batch.clear()
        if bar is not None:
            bar.update(read_bytes)
            bar.set_postfix(stored=report.stored, duplicates=report.duplicates,
                            rejected=len(report.rejected), refresh=False)
        read_bytes = 0

    try:
        for inp in inputs:
            items = [inp] if isinstance(inp, Rejected) else articles_from_input(inp, max_bytes=max_bytes)
            left = inp.size if isinstance(inp, Input) else 0
            for item in items:
                if isinstance(item, Rejected):
                    report.rejected.append({"path": item.path, "reason": item.reason})
                    continue
                pages.add(_page_of(item.origin))
                batch.append(item)
                # One big JSONL is one file: move the bar by each article's share of it.
                share = min(left, len(item.text.encode("utf-8", "ignore")))
                read_bytes += share
                left -= share
                if len(batch) >= batch_size:
                    flush()
            read_bytes += left
        flush()
    finally:
        if bar is not None:
            bar.close()
        report.pages = len(pages)
    return report


def _store(batch: list[Article], index: Index, report: IngestReport) -> None:
    if not batch:
        return
    try:
        results = index.add_many(list(batch))
    except StorageError as exc:  # the disk or the file, not an article: count what got in, stop
        _count(exc.completed, report)
        raise
    except Exception:  # noqa: BLE001 - retry one by one so one bad article loses only itself
        results = []
        for article in batch:
            try:
                results.append(index.add(article))
            except StorageError:
                _count(results, report)
                raise
            except Exception as exc:  # noqa: BLE001
                report.rejected.append({"path": article.origin,
                                        "reason": one_line(f"could not store: {type(exc).__name__}: {exc}")})
    _count(results, report)


def _count(results: Iterable[Any], report: IngestReport) -> None:
    for result in results:
        if result.status is AddStatus.DUPLICATE:
            report.duplicates += 1
        else:
            report.stored += 1


def _page_of(origin: str) -> str:
    return origin.split("#", 1)[0]


def _progress_bar(files: list[Input], *, enabled: bool):
    """tqdm on stderr by bytes, only for long runs on a terminal."""
    # A megabyte of news is a hundred-odd articles: a minute or more of model work.
    if not enabled or len(files) < PROGRESS_MIN_PAGES and sum(f.size for f in files) < 1024 * 1024:
        return None
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm
    return tqdm(total=sum(f.size for f in files), unit="B", unit_scale=True, unit_divisor=1024,
                desc="ingest", file=sys.stderr, leave=False)

