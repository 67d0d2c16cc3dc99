"""Bytes on disk per byte of article text, before and after the compact format (run by hand).

    # a database written by the previous format (e.g. `briefbot ingest` at main's code):
    .venv/bin/python bench/storage.py size /tmp/main100.db
    # the same questions, old file by main's code vs converted file by this code:
    .venv/bin/python bench/storage.py answers /tmp/main100.db /tmp/after100.db --before-root ../main
    # peak RSS of a serving process (models loaded, questions answered, feed worker child),
    # this code on the converted file, then main's code on the old one:
    .venv/bin/python bench/storage.py serve /tmp/after100.db
    .venv/bin/python bench/storage.py serve /tmp/main100.db --code-root ../main
    # peak RSS of a command and every process it starts (polled from /proc):
    .venv/bin/python bench/storage.py rss -- briefbot --db /tmp/x.db ingest --no-progress a.jsonl
    # the same for `briefbot ingest` of the first N articles, baseline checkout then this one,
    # with articles/s beside the peak and the ratios:
    .venv/bin/python bench/storage.py ingest-rss t17_articles.jsonl --limit 30 --baseline-root ../main

`size` copies the given database twice: the first copy is measured as it is (the
same-run baseline), the second is opened by this code (which migrates it to the
current format) and compacted with `Index.maintain()`, then measured. Both after
`wal_checkpoint(TRUNCATE)`. It prints bytes per byte of article text (UTF-8), the
per-table breakdown (sqlite `dbstat`), and the cosine agreement of the stored
vectors with the float32 originals. The data is read where it lies, never copied
into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bot.index import vectors  # noqa: E402


def text_bytes(path: Path) -> int:
    with sqlite3.connect(path) as c:
        return c.execute("SELECT COALESCE(SUM(length(CAST(text AS BLOB))), 0) FROM articles"
                         ).fetchone()[0]


def checkpointed_size(path: Path) -> int:
    c = sqlite3.connect(path)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return path.stat().st_size


def breakdown(path: Path) -> dict[str, int]:
    """Bytes per table, its indexes and (for FTS5) its shadow tables counted with it."""
    c = sqlite3.connect(path)
    owners = {name: tbl for name, tbl in c.execute(
        "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")}
    out: dict[str, int] = {}
    for name, size in c.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
        owner = owners.get(name, name)
        for fts in ("articles_fts", "sentences_fts", "article_leads_fts"):
            if owner.startswith(fts + "_"):
                owner = fts
        out[owner] = out.get(owner, 0) + size
    free = c.execute("PRAGMA freelist_count").fetchone()[0] * c.execute(
        "PRAGMA page_size").fetchone()[0]
    c.close()
    if free:
        out["(free pages)"] = free
    return out


def cosine_agreement(before: Path, after: Path) -> tuple[float, float, int]:
    """Mean and minimum cosine of each stored vector to its float32 original."""
    old = sqlite3.connect(before)
    new = sqlite3.connect(after)
    olds = dict(old.execute("SELECT id, embedding FROM sentences WHERE embedding IS NOT NULL"))
    cos = []
    for sid, blob in new.execute("SELECT id, embedding FROM sentences WHERE embedding IS NOT NULL"):
        if sid not in olds:
            continue
        a = vectors.decode_float32(olds[sid])
        b = vectors.decode(blob)
        assert b is not None
        cos.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)))
    old.close()
    new.close()
    if not cos:
        return 0.0, 0.0, 0
    return float(np.mean(cos)), float(np.min(cos)), len(cos)


def read_speed(before: Path, after: Path, articles: int = 40, rounds: int = 5) -> tuple[float, float]:
    """ms to read the sentences (text + float32 vectors) of `articles` articles: the
    previous format as its reader did, and this code's `queries.sentences`; best of rounds."""
    from bot.index import queries
    from summarizer.types import Sentence

    old, new = sqlite3.connect(before), sqlite3.connect(after)
    ids = [r[0] for r in new.execute("SELECT id FROM articles ORDER BY id LIMIT ?", [articles])]
    marks = ",".join("?" * len(ids))

    def old_read() -> list[Sentence]:
        rows = old.execute("SELECT s.id, s.article_id, s.position, s.text, a.published, "
                           "s.embedding FROM sentences s JOIN articles a ON a.id = s.article_id "
                           f"WHERE s.article_id IN ({marks})", ids).fetchall()
        return [Sentence(r[0], r[1], r[2], r[3], queries._dt(r[4]),
                         np.frombuffer(r[5], dtype=np.float32).copy() if r[5] else None)
                for r in rows]

    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for n, fn in enumerate((old_read, lambda: queries.sentences(new, ids))):
            t = time.perf_counter()
            fn()
            best[n] = min(best[n], (time.perf_counter() - t) * 1000)
    old.close()
    new.close()
    return best[0], best[1]


def size(args: argparse.Namespace) -> int:
    from bot.index.store import Index

    src = Path(args.db)
    if not src.is_file():
        print(f"no such database: {src}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        before, after = Path(tmp) / "before.db", Path(tmp) / "after.db"
        for dst in (before, after):
            s = sqlite3.connect(src)
            d = sqlite3.connect(dst)
            s.backup(d)
            s.close()
            d.close()
        text = text_bytes(before)
        t = time.perf_counter()
        index = Index(after)
        migrate_s = time.perf_counter() - t
        t = time.perf_counter()
        index.maintain()
        vacuum_s = time.perf_counter() - t
        index.close()
        b_size, a_size = checkpointed_size(before), checkpointed_size(after)
        b_parts, a_parts = breakdown(before), breakdown(after)
        with sqlite3.connect(after) as c:
            n = c.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        print(f"articles: {n}   article text: {text:,} UTF-8 bytes")
        print(f"{'':24}{'before':>14}{'after':>14}")
        print(f"{'database bytes':24}{b_size:>14,}{a_size:>14,}")
        print(f"{'x article text':24}{b_size / text:>14.2f}{a_size / text:>14.2f}")
        print(f"after / before: {a_size / b_size:.3f}   (migrate {migrate_s:.1f} s, "
              f"VACUUM {vacuum_s:.1f} s)")
        print("per table (with its indexes and FTS shadow tables), bytes:")
        for name in sorted(set(b_parts) | set(a_parts),
                           key=lambda k: -max(b_parts.get(k, 0), a_parts.get(k, 0))):
            bb, aa = b_parts.get(name, 0), a_parts.get(name, 0)
            print(f"  {name:22}{bb:>14,}{aa:>14,}   {bb / b_size:6.1%} -> {aa / a_size:6.1%}")
        mean, low, count = cosine_agreement(before, after)
        print(f"vector cosine, stored vs float32 original: mean {mean:.5f}  min {low:.5f} "
              f"over {count} vectors")
        pruned = Path(tmp) / "pruned.db"
        shutil.copy(after, pruned)
        index = Index(pruned)
        t = time.perf_counter()
        done = index.prune(retention_days=1, now=datetime(2100, 1, 1, tzinfo=UTC))
        prune_s = time.perf_counter() - t
        index.close()
        p_size = checkpointed_size(pruned)
        print(f"retention, every article pruned to its lead ({done.articles} articles, "
              f"{done.sentences} sentences, {prune_s:.1f} s, no VACUUM): {p_size:,} bytes = "
              f"{p_size / text:.2f} x article text ({done.bytes_reclaimed:,} given back)")
        old_ms, new_ms = read_speed(before, after)
        print(f"read the sentences of 40 articles: before {old_ms:.1f} ms, after {new_ms:.1f} ms "
              f"(after / before {new_ms / old_ms:.2f})")
        if args.keep:
            shutil.copy(after, args.keep)
            print(f"compacted copy kept at {args.keep}")
    return 0


def tree_rss_kb(root: int) -> int:
    """Resident KB of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status") as fh:
                kb = next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = kb
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def peak_of(cmd: list[str], *, cwd: str | None = None, seconds: float = 0) -> tuple[int, float, int | None]:
    """(peak KB of the process tree, seconds, exit code) of a command, polled every 0.2 s."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, cwd=cwd)
    peak = 0
    deadline = time.monotonic() + seconds if seconds else None
    while proc.poll() is None:
        peak = max(peak, tree_rss_kb(proc.pid))
        if deadline and time.monotonic() > deadline:
            proc.terminate()
            proc.wait(30)
            break
        time.sleep(0.2)
    return peak, time.perf_counter() - t, proc.returncode


def rss(args: argparse.Namespace) -> int:
    cmd = [c for c in args.command if c != "--"]
    if not cmd:
        print("give a command after --", file=sys.stderr)
        return 2
    peak, took, code = peak_of(cmd, seconds=args.seconds)
    print(f"peak RSS (process tree): {peak / 1024:.0f} MB   exit {code}   "
          f"{took:.0f} s   {args.label or ' '.join(cmd)[:120]}")
    return 0


def ingest_rss(args: argparse.Namespace) -> int:
    """`briefbot ingest` of the first N articles by the baseline code, then by this code,
    back to back: peak RSS of the process tree and articles/s (model loading included)."""
    here = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp) / "subset.jsonl"
        with open(args.dataset, "rb") as src, open(subset, "wb") as dst:
            for _, line in zip(range(args.limit), src):
                dst.write(line)
        rows = {}
        for label, root in (("baseline", args.baseline_root), ("this code", here)):
            db = Path(tmp) / f"{label.replace(' ', '_')}.db"
            peak, took, code = peak_of([sys.executable, "-m", "bot.cli", "--db", str(db), "ingest",
                                        "--no-progress", str(subset)], cwd=root)
            rows[label] = (peak / 1024, args.limit / took)
            print(f"{label:>9}  {root}: peak {peak / 1024:.0f} MB   {args.limit / took:.2f} articles/s"
                  f"   {took:.0f} s   exit {code}", flush=True)
    (b_mb, b_rate), (a_mb, a_rate) = rows["baseline"], rows["this code"]
    print(f"ratio this/baseline: peak {a_mb / b_mb:.2f}x   articles/s {a_rate / b_rate:.2f}x")
    return 0


QUESTIONS = ["latest on Egypt protests", "who is Barack Obama", "timeline of the Libya war",
             "sources BP oil spill", "digest"]


_ANSWER = """
import asyncio, json, sys
from pathlib import Path
from bot.config import Settings
from bot.services import build_services
services = build_services(Settings.load(env={}, dotenv=None, db_path=Path(sys.argv[1])))
out = {}
for q in json.loads(sys.argv[2]):
    r = asyncio.run(services.registry.dispatch(services.registry.parse(q, platform="console"),
                                               services))
    out[q] = [c.text for s in r.sections for c in s.claims if c.refs]
print(json.dumps(out))
"""


def answers(args: argparse.Namespace) -> int:
    """The same questions on the old file by the old code (`--before-root`, e.g. a checkout
    of main) and on the converted file by this code: how many cited sentences agree."""
    def run(root: str, db: str) -> dict[str, list[str]]:
        done = subprocess.run([sys.executable, "-c", _ANSWER, db, json.dumps(QUESTIONS)],
                              cwd=root, capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONPATH": root})
        return json.loads(done.stdout.strip().splitlines()[-1])

    old = run(args.before_root, args.before)
    new = run(str(Path(__file__).resolve().parent.parent), args.after)
    shares = []
    for q in QUESTIONS:
        a, b = set(old[q]), set(new[q])
        share = len(a & b) / len(a | b) if a | b else 1.0
        shares.append(share)
        print(f"  {q:32} cited sentences: before {len(a):3}  after {len(b):3}  "
              f"same {len(a & b):3}  (Jaccard {share:.2f})")
    print(f"mean Jaccard of cited sentences, before vs after: {sum(shares) / len(shares):.3f}")
    return 0


_SERVE = """
import asyncio, json, sys, time
from pathlib import Path
from bot.config import Settings
from bot.services import build_services
services = build_services(Settings.load(env={}, dotenv=None, db_path=Path(sys.argv[1])))
services.index.nlp  # feeds are indexed in this process: spaCy is loaded too
for q in json.loads(sys.argv[2]):
    asyncio.run(services.registry.dispatch(services.registry.parse(q, platform="console"),
                                           services))
services.feed_worker.run(len, "started", limit=60)
time.sleep(3)
services.close()
"""


def serve(args: argparse.Namespace) -> int:
    """A serving process as `briefbot serve` builds it (Services, models loaded, questions
    answered, the feed worker's child started), run by the code in `--code-root`."""
    root = str(Path(args.code_root).resolve())
    args.command = [sys.executable, "-c", _SERVE, str(Path(args.db).resolve()),
                    json.dumps(QUESTIONS)]
    args.seconds = 0
    args.label = f"serving {args.db} with the code of {root}"
    os.chdir(root)  # the child imports `bot` from here
    os.environ["PYTHONPATH"] = root
    return rss(args)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("size", help="bytes per byte of text, before and after the compact format")
    s.add_argument("db", help="a database written by the previous format")
    s.add_argument("--keep", help="also copy the compacted database here")
    r = sub.add_parser("rss", help="peak RSS of a command and its children")
    r.add_argument("--seconds", type=float, default=0,
                   help="stop the command after this long (a server), 0: wait for it")
    r.add_argument("command", nargs=argparse.REMAINDER)
    r.set_defaults(label="")
    g = sub.add_parser("ingest-rss", help="peak RSS and articles/s of `briefbot ingest`, "
                                          "baseline checkout then this one, same run")
    g.add_argument("dataset", type=Path, help="JSONL of articles (e.g. Timeline17)")
    g.add_argument("--limit", type=int, default=30, help="first N articles (default 30)")
    g.add_argument("--baseline-root", default="../main", help="checkout of the baseline code")
    v = sub.add_parser("serve", help="peak RSS of a serving process with its models loaded "
                                      "and its feed worker started, on this database")
    v.add_argument("db")
    v.add_argument("--code-root", default=str(Path(__file__).resolve().parent.parent),
                   help="checkout whose code serves (default: this one; ../main for the baseline)")
    a = sub.add_parser("answers", help="cited sentences of the same questions, old file by "
                                       "old code vs converted file by this code")
    a.add_argument("before", help="the database in the previous format")
    a.add_argument("after", help="the same database converted (size --keep)")
    a.add_argument("--before-root", default="../main", help="checkout of the previous code")
    args = ap.parse_args()
    return {"size": size, "rss": rss, "ingest-rss": ingest_rss, "serve": serve, "answers": answers}[args.mode](args)


if __name__ == "__main__":
    raise SystemExit(main())
