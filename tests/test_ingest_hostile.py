"""Issue 9: one bad record costs only itself, through run_ingest and the CLI into a real SQLite index.

Each test puts hostile input beside good input and asserts what the user sees: how many
articles were stored, and one rejection line naming the file (and line) and why.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.ingest.pipeline import run_ingest

ROOT = Path(__file__).resolve().parent.parent
#: Nine unrelated stories: none is a near-duplicate of another, so each one stores.
STORIES = [
    ("Dam repairs begin", "Engineers began repairing the Millbrook dam on Monday, two weeks after record "
     "rainfall forced the evacuation of 4,000 residents downstream."),
    ("Orchestra names conductor", "The Lakeside Symphony Orchestra named Anna Weber as its principal "
     "conductor on Friday, ending a search that lasted three seasons."),
    ("Ferry strike ends", "Ferry workers on the northern islands returned to work on Wednesday after "
     "the union accepted a pay offer of six percent over two years."),
    ("Wheat harvest falls", "The national wheat harvest fell by a fifth this summer as a long drought "
     "withered crops across the eastern plains, the farm ministry said."),
    ("Museum returns bronzes", "The city museum returned twelve bronze sculptures to Benin on Thursday "
     "in a ceremony attended by the culture minister and local artists."),
    ("Chip plant approved", "Regulators approved a new semiconductor plant near the river port, which "
     "the company says will employ 1,200 people by the end of the decade."),
    ("Marathon record falls", "A Kenyan runner broke the course record at the autumn marathon on Sunday, "
     "finishing in two hours and four minutes despite a strong headwind."),
    ("Library opens at night", "The central library will open until midnight from next month, after "
     "students petitioned the council for more quiet places to study."),
    ("Volcano alert raised", "Scientists raised the alert level for the Mount Karel volcano on Tuesday "
     "after a swarm of small earthquakes shook villages on its slopes."),
]


def record(n: int, **extra: object) -> str:
    title, text = STORIES[n]
    return json.dumps({"title": title, "text": text, "published": f"2025-03-0{n + 1}T09:00:00Z", **extra})


@pytest.fixture
def index(tmp_path, fast_encoder, blank_nlp):
    """The fast pair: these claims are counts, merges and rejections, not entities or ranking."""
    from bot.config import Settings
    from bot.index.store import Index

    db = tmp_path / "hostile.db"
    idx = Index(db, Settings.load(env={}, dotenv=None, db_path=db),
                encoder=fast_encoder, nlp=blank_nlp)
    yield idx
    idx.close()


def rejected_lines(report) -> list[str]:
    return report.lines()[1:]


def test_a_read_more_line_no_longer_loses_the_seeds_folder(index, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("manifest.json", "002_3a656d89f55840a8.txt", "004_9c7859ff746ab798.txt"):
        shutil.copy(ROOT / "seeds" / name, seeds / name)   # two seed pages keep the test quick
    title, text = STORIES[0]
    (seeds / "teaser.txt").write_text(f"{title}\nRead:more\n{text} The work will take three months.\n",
                                      encoding="utf-8")
    report = run_ingest([seeds], index, progress=False)
    assert (report.stored, report.duplicates, report.rejected) == (3, 0, [])
    [row] = [r for r in index.articles(range(1, 5)) if r.origin.endswith("teaser.txt")]
    assert row.title == title and row.text.startswith(text)


@pytest.mark.parametrize("bad_date", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00",
                                      "0001-01-01", "9999-12-31", -1e300, 1e300])
def test_a_date_at_the_end_of_the_calendar_costs_only_the_date(index, tmp_path, bad_date):
    lines = [record(n) for n in range(8)] + [record(8, published=bad_date)]
    (tmp_path / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_ingest([tmp_path / "batch.jsonl"], index, progress=False)
    assert (report.stored, report.rejected) == (9, [])
    [volcano] = [r for r in index.articles(range(1, 20)) if r.title == "Volcano alert raised"]
    assert (volcano.published, volcano.date_source) == (None, "unknown")


@pytest.mark.parametrize("bad_line", [
    '{"title": "Deep", "text": "x", "tags": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "[" * 5000,
    '{"title": "Huge number", "text": "Some text here.", "views": ' + "9" * 5000 + "}",
])
def test_a_deeply_nested_or_oversized_json_line_is_rejected_alone(index, tmp_path, bad_line):
    lines = [record(n) for n in range(4)] + [bad_line] + [record(n) for n in range(4, 8)]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_ingest([path], index, progress=False)
    assert report.stored == 8
    [line] = rejected_lines(report)
    assert line.startswith(f"  rejected {path.as_posix()}:5: bad JSON: ")


def test_pathological_lines_are_ingested_not_hung_on(index, tmp_path):
    """Lines that made the credit, date and relative-date patterns backtrack for seconds."""
    pages = tmp_path / "pages"
    pages.mkdir()
    for n, junk in enumerate(["(" + "/" * 800, "7" * 12_000, "." * 50_000, "- a" + "\u2003" * 20_000 + "b",
                              "more from x" + " " * 20_000 + "y!", "1 min ago\n" * 3000]):
        title, text = STORIES[n]
        (pages / f"p{n}.txt").write_text(f"{title}\n{text}\n{junk}\n", encoding="utf-8")
    report = run_ingest([pages], index, progress=False)
    assert (report.stored, report.rejected) == (6, [])
    texts = {r.title: r.text for r in index.articles(range(1, 20))}
    assert all(texts[title].startswith(text) for title, text in STORIES[:6])


def test_control_characters_and_bidi_never_reach_the_index(index, tmp_path):
    title, text = STORIES[1]
    dirty = f"{title}\u202e\x07\n{text[:40]}\u200b{text[40:]}\r\nThe season opens in May.\x1b[31m\n"
    (tmp_path / "dirty.txt").write_text(dirty, encoding="utf-8")
    jsonl = {"title": f"\u2066{STORIES[2][0]}\x9b",
             "text": STORIES[2][1] + "\ud800\u2028\x00Talks with the owners resume next week."}
    (tmp_path / "dirty.jsonl").write_text(json.dumps(jsonl) + "\n", encoding="utf-8")
    report = run_ingest([tmp_path / "dirty.txt", tmp_path / "dirty.jsonl"], index, progress=False)
    assert (report.stored, report.rejected) == (2, [])
    rows = {r.title: r.text for r in index.articles(range(1, 5))}
    assert rows == {
        title: f"{text}\nThe season opens in May.[31m",
        STORIES[2][0]: f"{STORIES[2][1]}\ufffd\nTalks with the owners resume next week.",
    }


def test_an_unexpected_bug_costs_one_file_not_the_batch(index, tmp_path, monkeypatch):
    """The per-file guard is the last line of defence: a bug in splitting stands in here."""
    import bot.ingest.pipeline as pipeline

    real = pipeline.split_page

    def buggy(lines):
        if any("TRIGGER" in line for line in lines):
            raise IndexError("list index out of range")
        return real(lines)

    monkeypatch.setattr(pipeline, "split_page", buggy)
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(3):
        title, text = STORIES[n]
        (pages / f"p{n}.txt").write_text(f"{title}\n{text}\n" + ("TRIGGER\n" if n == 1 else ""))
    report = run_ingest([pages], index, progress=False)
    assert report.stored == 2
    assert rejected_lines(report) == [f"  rejected {pages.as_posix()}/p1.txt: internal error while reading: "
                                      "IndexError: list index out of range"]


def test_cli_names_the_bad_line_and_stores_the_rest(tmp_path, capsys):
    lines = [record(0), "{not json", record(1, published="0001-01-01T00:00:00+01:00"), "[" * 3000, record(2)]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["--db", str(tmp_path / "cli.db"), "ingest", "--no-progress", str(path)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [
        "Read 3 pages: 3 articles stored, 0 duplicates merged, 2 rejected.",
        f"  rejected {path.as_posix()}:2: bad JSON: Expecting property name enclosed in double quotes at column 2",
        f"  rejected {path.as_posix()}:4: bad JSON: nested too deeply",
    ]


def test_odd_file_names_are_shown_on_one_printable_line(tmp_path):
    """A newline or an undecodable byte in a file name must not break the one-line report."""
    from bot.ingest.pipeline import articles_from_paths

    folder = tmp_path / "names"
    folder.mkdir()
    title, text = STORIES[3]
    (folder / "two\nlines.pdf").write_bytes(b"%PDF-1.7")
    with open(bytes(folder) + b"/caf\xe9.txt", "wb") as fh:
        fh.write(f"{title}\n{text}\n".encode())
    items = list(articles_from_paths([folder]))
    shown = {getattr(i, "origin", None) or i.path for i in items}
    assert shown == {f"{folder.as_posix()}/caf\ufffd.txt", f"{folder.as_posix()}/two\\nlines.pdf"}
