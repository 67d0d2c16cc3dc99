"""kill -9 during ingest, again and again: nothing half-stored, nothing lost, nothing doubled.

    .venv/bin/python bench/kill_ingest.py [--cycles 20] [PATH ...]

Each cycle starts `briefbot ingest PATH...` on one database and kills it with SIGKILL at
a random moment (model loading, reading, embedding, mid-transaction). After the cycles
one ingest runs to the end. The database is then compared with a clean ingest of the
same input into a fresh file, in the same run (the baseline): the same articles, no
article twice, no sentence without its article, and SQLite's integrity check passes.
Default input: the seed pages. Prints one line per cycle and the verdict.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ingest(db: Path, paths: list[str], *, kill_after: float | None = None) -> str:
    cmd = [sys.executable, "-m", "bot.cli", "--db", str(db), "ingest", "--no-progress", *paths]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if kill_after is None:
        _, err = proc.communicate()
        return f"finished (exit {proc.returncode}){': ' + err.decode()[-200:] if proc.returncode else ''}"
    try:
        proc.wait(timeout=kill_after)
        return f"finished before the kill (exit {proc.returncode})"
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return f"killed after {kill_after:.1f} s"


def snapshot(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        titles = [r[0] for r in conn.execute("SELECT title FROM articles ORDER BY title")]
        return {
            "articles": len(titles),
            "titles": titles,
            "doubled": conn.execute("SELECT COUNT(*) - COUNT(DISTINCT content_hash) "
                                    "FROM articles").fetchone()[0],
            "orphan sentences": conn.execute(
                "SELECT COUNT(*) FROM sentences s LEFT JOIN articles a ON a.id = s.article_id "
                "WHERE a.id IS NULL").fetchone()[0],
            "articles without sentences": conn.execute(
                "SELECT COUNT(*) FROM articles a WHERE NOT EXISTS "
                "(SELECT 1 FROM sentences s WHERE s.article_id = a.id)").fetchone()[0],
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "seeds")])
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--max-delay", type=float, default=25.0,
                    help="kill at a random moment up to this many seconds after the start")
    ap.add_argument("--seed", type=int, default=9)
    args = ap.parse_args(argv)
    rnd = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db, clean = Path(tmp) / "killed.db", Path(tmp) / "clean.db"
        started = time.perf_counter()
        for i in range(args.cycles):
            delay = rnd.uniform(0.5, args.max_delay)
            print(f"cycle {i + 1:2}: {ingest(db, args.paths, kill_after=delay)}", flush=True)
        print(f"final ingest: {ingest(db, args.paths)}")
        print(f"baseline, clean ingest into a fresh file: {ingest(clean, args.paths)}")
        got, want = snapshot(db), snapshot(clean)
        for key in ("articles", "doubled", "orphan sentences", "articles without sentences",
                    "integrity"):
            print(f"{key:28} after kills: {got[key]!s:8} clean: {want[key]}")
        same = got["titles"] == want["titles"]
        print(f"same articles as the clean ingest: {same}; {args.cycles} kill -9 cycles in "
              f"{time.perf_counter() - started:.0f} s")
        ok = same and got["doubled"] == 0 and got["orphan sentences"] == 0 \
            and got["integrity"] == "ok"
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
