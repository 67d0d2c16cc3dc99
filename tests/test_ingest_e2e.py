"""run_ingest into a real SQLite index: counts, near-duplicate merging, re-runs, the JSON report."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest.pipeline import IngestReport, run_ingest

ROOT = Path(__file__).resolve().parent.parent
JD_VANCE = "seeds/001_e213fecfa28b599e.txt#2"


@pytest.fixture
def index(tmp_path, fast_encoder, blank_nlp, monkeypatch):
    """The fast pair: these claims are counts, merges and rejections, not entities or ranking."""
    from bot.config import Settings
    from bot.index.store import Index

    monkeypatch.chdir(ROOT)             # paths as a user types them: "seeds"
    db = tmp_path / "ingest.db"
    idx = Index(db, Settings.load(env={}, dotenv=None, db_path=db),
                encoder=fast_encoder, nlp=blank_nlp)
    yield idx
    idx.close()


def test_seeds_ingest_then_reingest(index, capsys):
    first = run_ingest(["seeds"], index, progress=True)
    assert (first.pages, first.stored, first.duplicates) == (5, 9, 1)   # the two Mint stories merge
    assert [r["path"] for r in first.rejected] == [JD_VANCE]
    assert first.summary() == "Read 5 pages: 9 articles stored, 1 duplicate merged, 1 rejected."
    assert capsys.readouterr().err == ""         # no progress bar for 5 pages / not a terminal

    rows = index.articles(range(1, 20))
    assert len(rows) == 9
    mint = [r for r in rows if r.title.startswith("Trump Rattles Latin America")]
    assert len(mint) == 1
    assert sorted(s.origin for s in mint[0].sources) == [
        "seeds/001_e213fecfa28b599e.txt#3", "seeds/001_e213fecfa28b599e.txt#4"]
    wapo = next(r for r in rows if r.origin == "seeds/000_f41f4003cbb84cf9.txt#2")
    assert (wapo.publisher, wapo.date_source) == ("Washington Post", "relative")
    assert wapo.published == datetime(2025, 8, 21, tzinfo=UTC)   # same day as its page

    second = run_ingest(["seeds"], index, progress=False)
    assert (second.pages, second.stored, second.duplicates) == (5, 0, 10)
    assert len(index.articles(range(1, 20))) == 9


def test_report_json_shape_and_bad_inputs_in_the_same_batch(index, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    report = run_ingest([str(tmp_path / "missing"), "seeds/004_9c7859ff746ab798.txt",
                         str(tmp_path / "empty.txt")], index, progress=False)
    data = json.loads(json.dumps(report.as_json()))
    assert list(data) == ["pages", "stored", "duplicates", "rejected"]
    assert (data["pages"], data["stored"], data["duplicates"]) == (1, 1, 0)
    assert data["rejected"] == [
        {"path": f"{tmp_path.as_posix()}/missing", "reason": "no such file or directory"},
        {"path": f"{tmp_path.as_posix()}/empty.txt", "reason": "empty file"},
    ]
    assert report.lines()[1:] == [f"  rejected {tmp_path.as_posix()}/missing: no such file or directory",
                                  f"  rejected {tmp_path.as_posix()}/empty.txt: empty file"]


def test_empty_report_reads_naturally():
    assert IngestReport().summary() == "Read 0 pages: 0 articles stored, 0 duplicates merged, 0 rejected."


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_for_long_runs_only(index, tmp_path, monkeypatch):
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(25):
        (pages / f"p{n:02}.txt").write_text(
            f"Headline Number {n}\nThe council met on day {n} and approved plan number {n} after a debate.",
            encoding="utf-8")
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    report = run_ingest([str(pages)], index, progress=True)
    assert (report.pages, report.rejected) == (25, [])
    assert "ingest:" in terminal.getvalue() and "B/s" in terminal.getvalue()
    quiet = _Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    run_ingest([str(pages)], index, progress=False)
    assert quiet.getvalue() == ""
