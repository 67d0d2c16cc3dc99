"""Hostile input for every surface that reads untrusted text (run by hand).

    nice -n 10 .venv/bin/python bench/fuzz.py --n 10000
    nice -n 10 .venv/bin/python bench/fuzz.py --n 500 --surface jsonl --surface dates

Part 1, totality: per surface, N generated inputs (random bytes, hostile Unicode,
mutated seed pages, broken JSON, dates at the ends of the calendar, tag soup,
broken feeds, odd links, questions). Prints inputs tried, crashes (exception
type, count, a short repr of the smallest crashing input), hygiene violations
(an Article whose text is not `text_hygiene`-clean), and the slowest input.
The ingest surfaces are called *below* the per-file guard of the pipeline, so a
crash here is a real crash, not one the guard would have hidden.

Part 2, linear time: per text surface, milliseconds per KB of adversarial lines
("(" + "/"*N, digit runs, punctuation runs, nested brackets, runs of odd spaces,
one 100 KB line...) at three sizes, beside milliseconds per KB of ordinary news
text of the same size measured in the same run. A flat ratio means linear time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import UserError  # noqa: E402
from bot.questions import parse_question  # noqa: E402
from bot.feeds.items import item_keys  # noqa: E402
from bot.feeds.parse import FeedItem, parse_feed  # noqa: E402
from bot.ingest.clean import clean_lines  # noqa: E402
from bot.ingest.dates import date_from_text, parse_date, parse_relative  # noqa: E402
from bot.ingest.model import Article, Rejected  # noqa: E402
from bot.ingest.pipeline import (  # noqa: E402
    _articles_from_input, article_from_record, articles_from_html, articles_from_text, parse_json_line,
)
from bot.ingest.readers import discover  # noqa: E402
from bot.ingest.split import split_page  # noqa: E402
from bot.registry import load_commands  # noqa: E402
from bot.text_hygiene import is_clean  # noqa: E402
from summarizer.sentences import split_sentences  # noqa: E402

SEED_TEXT = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
SEED_LINES = [ln for ln in SEED_TEXT.split("\n") if ln.strip()]
WORDS = SEED_TEXT.split()

# --- generators ------------------------------------------------------------------------------

#: Characters that broke, or could break, a reader: controls, surrogates, bidi, invisibles,
#: combining marks, separators, brackets and the punctuation the patterns look at.
ODD = (["\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\r", "\t",
        "\ud800", "\udfff", "\udc80", "\u202e", "\u2066", "\u200f", "\u200b", "\ufeff", "\u0301", "\u0308",
        "\u2028", "\u2029", "\u00a0", "\u2003", "\u3000", "\ufffd", "\uffff", "😀", "\U0001F1FA", "日本",
        "مرحبا", "ﬁ", "Å", "ǅ"]
       + list("()[]{}/\\.!?…,;:'\"‘’“”-–—•·*#@&|<>»›→%$0123456789"))
ATOMS = ["Read:more", "Read more", "Related Articles", "More from Reuters", "13 minutes ago",
         "time3 minutes ago", "an hour ago", "9999 years ago", "• Reuters", "- The Times", "By Jane Roe",
         "Published: Aug. 18, 2025", "Updated 3:45 PM EDT", "WASHINGTON, Aug. 18, 2025 —",
         "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "Feb 30, 2025", "2025-13-45",
         "(AP Photo/Evan Vucci)", "{Getty Images}", "Source: CNN", "Subscribe now", "Tags: x",
         "5 min read", "Home › World › Europe", "Photo by Jane Roe/Getty Images", "© 2024"]


def _run(rng: random.Random, alphabet: list[str], n: int) -> str:
    return rng.choice(alphabet) * n


def hostile_text(rng: random.Random, max_len: int = 2000) -> str:
    """A mix of seed lines, words, odd characters, pattern bait and long runs."""
    pieces: list[str] = []
    size = 0
    while size < rng.randint(1, max_len):
        kind = rng.random()
        if kind < 0.25:
            piece = rng.choice(SEED_LINES)
            if rng.random() < 0.3:                     # cut at a random place
                piece = piece[: rng.randint(0, len(piece))]
        elif kind < 0.45:
            piece = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
        elif kind < 0.7:
            piece = "".join(rng.choice(ODD) for _ in range(rng.randint(1, 8)))
        elif kind < 0.85:
            piece = rng.choice(ATOMS)
        elif kind < 0.95:
            piece = _run(rng, ODD, rng.randint(2, 300))
        else:
            piece = rng.choice(["\n", "\n\n", " ", "\r\n", "\t"])
        pieces.append(piece)
        pieces.append(rng.choice(["\n", " ", "", "\n"]))
        size += len(piece) + 1
    return "".join(pieces)


def _encode(rng: random.Random, text: str) -> bytes:
    encoding = rng.choice(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1",
                           "shift_jis", "utf-32"])
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")
    if rng.random() < 0.3 and data:                    # flip a few bytes, or cut the end
        raw = bytearray(data)
        for _ in range(rng.randint(1, 5)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        data = bytes(raw[: rng.randint(1, len(raw))])
    return data


def hostile_bytes(rng: random.Random) -> bytes:
    if rng.random() < 0.2:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 600)))
    return _encode(rng, hostile_text(rng))


def _nested(rng: random.Random, depth: int) -> str:
    return "[" * depth + "1" + "]" * depth if rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth


def hostile_json_value(rng: random.Random) -> object:
    return rng.choice([
        lambda: hostile_text(rng, 400), lambda: rng.choice(ATOMS), lambda: "",
        lambda: rng.choice([0, -1, 1e300, -1e300, 2 ** 70, float("nan"), float("inf"), 1.5e9, True]),
        lambda: [hostile_text(rng, 50)], lambda: {"x": 1}, lambda: None,
    ])()


def hostile_jsonl_line(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return hostile_bytes(rng).replace(b"\n", b" ")
    if roll < 0.2:
        return _nested(rng, rng.choice([10, 900, 5000, 100_000])).encode()
    if roll < 0.25:
        return ("1" * rng.choice([10, 5000])).encode()
    record: dict[str, object] = {}
    for key in rng.sample(["text", "article", "body", "title", "headline", "publisher", "source",
                           "published", "date", "url", "link"], rng.randint(0, 6)):
        record[key] = hostile_json_value(rng)
    if rng.random() < 0.7:
        record["text"] = hostile_text(rng)
    if rng.random() < 0.5:
        record["published"] = rng.choice(ATOMS[14:20] + [hostile_json_value(rng), "9999-12-31T23:00:00-01:00"])
    line = json.dumps(record, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.1:
        line = line[: rng.randint(0, len(line))]
    return line.encode("utf-8", "surrogatepass")


def hostile_html(rng: random.Random) -> bytes:
    charset = rng.choice(["utf-8", "x-unknown", "utf-7", "", "bogus\x00", "iso-8859-1", "utf-16"])
    body = "".join(rng.choice(["<p>", "</p>", "<div>", "<br>", "<script>", "</div>", "<![CDATA[", "<!--",
                               "&#99999999;", "&#0;", "&#xD800;", "&amp", "<a href='\x01'>", "<table><tr><td>"])
                   + hostile_text(rng, 300) for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.1:
        body = "<div>" * rng.choice([300, 3000]) + body
    html = (f"<!DOCTYPE html><html><head><meta charset='{charset}'><title>{hostile_text(rng, 80)}</title>"
            f"<meta property='article:published_time' content='{rng.choice(ATOMS[14:20])}'>"
            f"</head><body><article>{body}</article></body></html>")
    return _encode(rng, html) if rng.random() < 0.5 else html.encode("utf-8", "surrogatepass")


def hostile_feed(rng: random.Random) -> bytes:
    items = "".join(
        f"<item><title>{hostile_text(rng, 60)}</title><link>{rng.choice(LINKS)}</link>"
        f"<guid>{hostile_text(rng, 30)}</guid><pubDate>{rng.choice(DATES)}</pubDate>"
        f"<description>{rng.choice(CHARREFS)}{hostile_text(rng, 300)}</description></item>"
        for _ in range(rng.randint(0, 4)))
    if rng.random() < 0.5:
        doc = (f"<?xml version='1.0' encoding='{rng.choice(['utf-8', 'x-bogus', 'utf-16'])}'?>"
               f"<rss version='2.0'><channel><title>{hostile_text(rng, 40)}</title>{items}</channel></rss>")
    else:
        doc = (f"<feed xmlns='http://www.w3.org/2005/Atom'><title>{hostile_text(rng, 40)}</title>"
               + items.replace("item>", "entry>").replace("pubDate>", "updated>") + "</feed>")
    return _encode(rng, doc) if rng.random() < 0.4 else doc.encode("utf-8", "surrogatepass")


#: What a feed body may open with: markup, escaped markup, character references out of range.
CHARREFS = ["", "<![CDATA[", "&lt;p&gt;", "&#99999999;", "&#x110000;", "&#0;", "&#xD800;", "&lt;p&gt;&amp;#99999999;"]
LINKS = ["https://example.org/a?utm_source=x#frag", "http://[::1", "http://%zz", "https://a b/c", "http://x:99999/",
         "http://\u202eevil.com", "javascript:alert(1)", "", "//no-scheme", "http://xn--ls8h.la/", "HTTP://EXAMPLE.ORG",
         "http://user:pass@host/", "http://[fe80::1%25eth0]/", "https://ex.org/" + "a" * 5000, "http://\x00/"]
DATES = ["Mon, 99 Foo 9999 99:99:99 +9999", "Tue, 31 Dec 9999 23:59:59 -1200", "0001-01-01T00:00:00+01:00",
         "", "yesterday", "Wed, 02 Oct 2002 13:00:00 GMT", "2025-08-18T10:00:00Z", "9" * 400]


def hostile_date(rng: random.Random) -> object:
    return rng.choice([
        lambda: rng.choice(DATES + ATOMS[14:20]), lambda: hostile_text(rng, 60),
        lambda: rng.choice([1e300, -1e300, float("nan"), 2 ** 63, -(2 ** 63), 0, 253402300800]),
        lambda: "".join(rng.choice("0123456789-:T+Z. ") for _ in range(rng.randint(1, 40))),
        lambda: rng.choice(["Aug 18, 2025", "18 August 2025", "99 August 2025", "August 0, 1900"]),
    ])()


# --- surfaces --------------------------------------------------------------------------------

@dataclass
class Tally:
    """What one surface did with its inputs."""

    tried: int = 0
    refused: int = 0                                   # a designed "no" (UserError), not a crash
    crashes: dict[str, tuple[int, str]] = field(default_factory=dict)   # type -> (count, smallest repr)
    slowest: tuple[float, str] = (0.0, "")

    def crash(self, kind: str, shown: str) -> None:
        count, smallest = self.crashes.get(kind, (0, shown))
        self.crashes[kind] = (count + 1, min(smallest, shown, key=len))


def _short(value: object, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 12]}…({len(text)} chars)"


def _check_articles(items, tally: Tally, shown: str) -> None:
    for item in items:
        if isinstance(item, Article):
            if not all(is_clean(v) for v in (item.text, item.title, item.publisher or "", item.url or "")):
                tally.crash("HygieneViolation", shown)
        elif isinstance(item, Rejected) and item.reason.startswith("internal error"):
            tally.crash("GuardFired:" + item.reason.split(":")[2].strip(), shown)
        elif isinstance(item, Rejected) and item.reason.startswith("could not parse HTML"):
            tally.crash("HTMLParser:" + item.reason.split(":")[1].strip(), shown)   # caught, but a crash


def make_surfaces(workdir: Path) -> dict[str, tuple[Callable[[random.Random], object], Callable[[object], object]]]:
    """name -> (input generator, the call under test); the call raises on a crash."""
    registry = load_commands()
    counter = iter(range(10 ** 9))

    def file_bytes(data: bytes) -> list:
        path = workdir / f"f{next(counter)}{random.choice(['.txt', '.md', '.html', '.jsonl', ''])}"
        path.write_bytes(data)
        try:
            found = list(discover([path]))
            return [x for inp in found for x in ([inp] if isinstance(inp, Rejected) else
                                                 _articles_from_input(inp, 1 << 20))]
        finally:
            path.unlink()

    def jsonl_line(raw: bytes) -> list:
        record = parse_json_line(raw, "x.jsonl:1")
        return [record if isinstance(record, Rejected) else article_from_record(record, origin="x.jsonl:1")]

    def feed_keys(item: FeedItem) -> list:
        return item_keys(item, "https://feed.example/rss")

    def make_item(rng: random.Random) -> FeedItem:
        return FeedItem(guid=rng.choice([None, hostile_text(rng, 40), rng.choice(LINKS)]),
                        link=rng.choice([None, rng.choice(LINKS), hostile_text(rng, 40)]),
                        title=hostile_text(rng, 60), text=hostile_text(rng, 600))

    return {
        "file bytes": (hostile_bytes, file_bytes),
        "JSONL lines": (hostile_jsonl_line, jsonl_line),
        "HTML": (hostile_html, lambda b: list(articles_from_html(b, None, "x.html"))),
        "cleaning": (hostile_text, lambda t: clean_lines(t.split("\n"))),
        "splitting": (hostile_text, lambda t: split_page(t.split("\n"))),
        "whole text page": (hostile_text, lambda t: list(articles_from_text(t, origin="x.txt"))),
        "dates (metadata)": (hostile_date, parse_date),
        "dates (in text)": (hostile_text, lambda t: (date_from_text(t), parse_relative(t))),
        "sentence splitting": (hostile_text, split_sentences),
        "feed XML (bot.feeds.parse)": (hostile_feed, lambda b: parse_feed(b, "https://feed.example/rss")),
        "feed item keys (bot.feeds.items)": (make_item, feed_keys),
        "questions (parse_question)": (lambda r: hostile_text(r, 300), lambda t: parse_question(t, registry)),
    }


def fuzz(name: str, generate, call, n: int, seed: int) -> Tally:
    rng = random.Random(f"{seed}:{name}")
    random.seed(seed)
    tally = Tally()
    for _ in range(n):
        value = generate(rng)
        shown = _short(value)
        start = time.perf_counter()
        try:
            out = call(value)
        except UserError:
            tally.refused += 1
            out = None
        except Exception as exc:  # noqa: BLE001 - counting crashes is the point
            tally.crash(type(exc).__name__, shown)
            out = None
        took = time.perf_counter() - start
        if isinstance(out, list):
            _check_articles(out, tally, shown)
        tally.tried += 1
        if took > tally.slowest[0]:
            tally.slowest = (took, shown)
    return tally


# --- linear time -----------------------------------------------------------------------------

#: Adversarial line families: each makes `n` characters of the shape that used to backtrack.
FAMILIES: dict[str, Callable[[int], str]] = {
    "'(' + '/'*N": lambda n: "(" + "/" * (n - 1),
    "digit run": lambda n: "7" * n,
    "punctuation run": lambda n: (".!?…,;:" * n)[:n],
    "dots": lambda n: "." * n,
    "word, dots, word.": lambda n: "a" + "." * (n - 3) + "b.",
    "nested brackets": lambda n: "(" * (n // 2) + ")" * (n // 2),
    "odd spaces": lambda n: "a" + "\u2003" * (n - 2) + "b",
    "capitals": lambda n: "By " + "A" * (n - 4) + "!",
    "'. ' runs": lambda n: (". " * n)[:n - 1] + "x",
    "quote run": lambda n: "." + "'" * (n - 2) + "x",
    "'- ' runs": lambda n: ("- " * n)[:n],
    "spaces then word": lambda n: "- a" + " " * (n - 4) + "b",
    "'1 min ago' lines": lambda n: ("1 min ago\n" * n)[:n],
    "100 KB single line": lambda n: " ".join(SEED_LINES)[:n].ljust(n, "x").replace("\n", " "),
}
#: Index patterns that bot/index/entities.py only applies to a short window around a name.
_WINDOWED = {"_ROLE_BEFORE": 80, "_ROLE_AFTER": 100}


def _index_patterns() -> Callable[[str], object]:
    """Every module-level compiled pattern of the index's text helpers, searched as the index does:
    over the whole text, or over its window for the two role patterns (quadratic there, but on 80 chars)."""
    import importlib
    import re

    patterns = [(value, _WINDOWED.get(name)) for module in ("entities", "events", "event_time", "queries", "text")
                for name, value in vars(importlib.import_module(f"bot.index.{module}")).items()
                if isinstance(value, re.Pattern)]
    return lambda t: [sum(1 for _ in p.finditer(t[:window] if window else t)) for p, window in patterns]


TEXT_SURFACES: dict[str, Callable[[str], object]] = {
    "cleaning": lambda t: clean_lines(t.split("\n")),
    "splitting": lambda t: split_page(t.split("\n")),
    "dates": date_from_text,
    "sentences": split_sentences,
    "whole page": lambda t: list(articles_from_text(t, origin="x.txt")),
    "index regex": _index_patterns(),
}
#: Ordinary news: the seed lines in a fixed shuffled order, so every size is a fair sample.
_SHUFFLED = random.Random(1).sample(SEED_LINES, len(SEED_LINES))


def _ordinary(n: int) -> str:
    text = "\n".join(_SHUFFLED)
    return (text * (n // len(text) + 1))[:n]


def _ms_per_kb(call: Callable[[str], object], text: str, runs: int = 3) -> float:
    """Best of `runs` timings (one only when a run takes over a second), in milliseconds per KB."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        call(text)
        best = min(best, time.perf_counter() - start)
        if best > 1.0:
            break
    return best * 1000 / (len(text.encode("utf-8", "surrogatepass")) / 1024)


def linear_table(sizes: list[int]):
    """Rows of the linear-time table, one at a time (a slow row shows while it runs)."""
    head = " / ".join(f"{s // 1024}" for s in sizes)
    yield (f"{'surface':<12} {'input':<20} ms per KB at {head} KB    growth   "
           f"ordinary text, same sizes    growth")
    for surface, call in TEXT_SURFACES.items():
        base = [_ms_per_kb(call, _ordinary(s)) for s in sizes]
        for family, make in FAMILIES.items():
            costs = []
            for size in sizes:
                costs.append(_ms_per_kb(call, make(size)))
                if costs[-1] * size / 1024 > 5000:        # over 5 s: a larger size would only hang
                    break
            shown = " / ".join(f"{c:6.3f}" for c in costs)
            base_shown = " / ".join(f"{b:6.3f}" for b in base[:len(costs)])
            yield (f"{surface:<12} {family:<20} {shown:<27} x{costs[-1] / max(costs[0], 1e-9):<6.1f}  "
                   f"{base_shown:<27} x{base[len(costs) - 1] / max(base[0], 1e-9):.1f}")
            surface = ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="inputs per surface (default 1000)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--surface", action="append", help="only surfaces whose name contains this")
    parser.add_argument("--sizes", default="25,100,400", help="KB sizes for the linear-time table")
    parser.add_argument("--no-linear", action="store_true", help="skip the linear-time table")
    args = parser.parse_args(argv)
    total_tried = total_crashes = 0
    with tempfile.TemporaryDirectory() as tmp:
        surfaces = make_surfaces(Path(tmp))
        print(f"{'surface':<34} {'tried':>6} {'crashes':>7} {'refused':>7}  slowest")
        for name, (generate, call) in surfaces.items():
            if args.surface and not any(s.lower() in name.lower() for s in args.surface):
                continue
            start = time.perf_counter()
            tally = fuzz(name, generate, call, args.n, args.seed)
            crashes = sum(c for c, _ in tally.crashes.values())
            total_tried, total_crashes = total_tried + tally.tried, total_crashes + crashes
            print(f"{name:<34} {tally.tried:>6} {crashes:>7} {tally.refused:>7}  "
                  f"{tally.slowest[0] * 1000:.1f} ms on {tally.slowest[1][:60]}  "
                  f"[{time.perf_counter() - start:.0f} s]", flush=True)
            for kind, (count, smallest) in sorted(tally.crashes.items()):
                print(f"    {kind} x{count}: smallest {smallest}")
    print(f"total: {total_tried} inputs, {total_crashes} crashes")
    if not args.no_linear:
        print()
        for line in linear_table([int(size) * 1024 for size in args.sizes.split(",")]):
            print(line, flush=True)
    return 1 if total_crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
