"""Ingest throughput against today's baseline, measured in the same run (run by hand).

    .venv/bin/python bench/ingest_speed.py ../shared/eval/t17/t17_articles.jsonl --limit 100

Ingests the first `--limit` articles through `run_ingest` into a fresh SQLite file,
once with the code of `--baseline-rev` (default: main before issue 11's ingest work,
checked out into a temporary git worktree) and once with this tree, each in its own
child process so that each peak memory is its own. Models are loaded and warmed before
the clock starts in both. Prints articles/s of each, the ratio, each peak RSS (its own,
and with the NER worker processes it started), and how many sentences got a vector. On a shared machine wall time swings with the other
processes; the CPU seconds each ingest used (all its threads) are steadier. `--also-embed shown` adds a third run: this tree with
BRIEFBOT_EMBED_SENTENCES=shown, to show the embed policy's share apart from the rest;
`--also BRIEFBOT_ENCODER=static` (repeatable, NAME=VALUE[,NAME=VALUE]) runs this tree
with other settings. CPU seconds and the peak "with workers" include any child processes.
The data set is read where it lies and never copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: main just before issue 11's ingest work: today's behaviour.
BASELINE_REV = "3ff357c"

#: Runs in the child, with the tree under test first on sys.path. Uses only interfaces
#: both trees have (Settings.load, Index, run_ingest), so the baseline is its own code.
CHILD = r"""
import json, os, resource, sqlite3, sys, threading, time
from pathlib import Path
tree, subset, db = sys.argv[1:4]
sys.path.insert(0, tree)
os.chdir(tree)
from bot.config import Settings
from bot.index.store import Index
from bot.ingest.pipeline import run_ingest
env = {k: v for k, v in os.environ.items() if k.startswith("BRIEFBOT_")}
settings = Settings.load(env=env, dotenv=None, db_path=Path(db))
index = Index(Path(db), settings)
index.encoder.encode(["warm up"] * 64)  # loads the backend ingest uses
index.nlp("Warm up in Paris.")
TICK, PAGE_KB = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE") // 1024
def tree():  # {pid: (cpu seconds, rss KB)} of this process's descendants, from /proc
    stats, parent = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    f = fh.read().rsplit(")", 1)[1].split()
                parent[int(entry)] = int(f[1])
                stats[int(entry)] = ((int(f[11]) + int(f[12])) / TICK, int(f[21]) * PAGE_KB)
            except (OSError, ValueError, IndexError):
                pass
    out, todo = {}, [os.getpid()]
    while todo:
        pid = todo.pop()
        kids = [c for c, p in parent.items() if p == pid]
        out.update({c: stats[c] for c in kids})
        todo.extend(kids)
    return out
peak = [0]
done = threading.Event()
def sample():
    while not done.wait(0.2):
        with open("/proc/self/status") as fh:
            rss = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        peak[0] = max(peak[0], rss + sum(r for _, r in tree().values()))
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
kids_start = tree()
threading.Thread(target=sample, daemon=True).start()
start, cpu_start = time.perf_counter(), cpu()
report = run_ingest([subset], index, progress=False)
seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
kids_end = tree()
done.set()
workers_cpu = sum(c - kids_start.get(pid, (0, 0))[0] for pid, (c, _) in kids_end.items())
index.close()
conn = sqlite3.connect(db)
total, embedded = conn.execute("SELECT COUNT(*), COUNT(embedding) FROM sentences").fetchone()
entities, mentions = (conn.execute("SELECT COUNT(*) FROM entities").fetchone()[0],
                      conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0])
conn.close()
print(json.dumps({"stored": report.stored, "seconds": seconds,
                  "cpu_seconds": cpu_seconds + workers_cpu, "workers_cpu": workers_cpu,
                  "articles_per_s": report.stored / seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "tree_peak_mb": max(peak[0], 1) / 1024, "workers": len(kids_end),
                  "sentences": total, "embedded": embedded,
                  "entities": entities, "mentions": mentions}))
"""


def run_child(tree: Path, subset: Path, db: Path, env_extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(subset), str(db)],
                         env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"ingest in {tree} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def line(label: str, r: dict) -> str:
    return (f"{label:<24} {r['seconds']:6.1f} s  {r['articles_per_s']:5.2f} articles/s  "
            f"CPU {r['cpu_seconds']:6.1f} s (workers {r.get('workers_cpu', 0):4.1f})  "
            f"peak {r['peak_mb']:5.0f} MB (with workers {r.get('tree_peak_mb', 0):5.0f})  vectors {r['embedded']}/{r['sentences']}  "
            f"entities {r['entities']}  mentions {r['mentions']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path, help="JSONL of articles (e.g. Timeline17)")
    ap.add_argument("--limit", type=int, default=100, help="articles to ingest (default 100)")
    ap.add_argument("--baseline-rev", default=BASELINE_REV,
                    help=f"git revision measured as the baseline (default {BASELINE_REV})")
    ap.add_argument("--also-embed", choices=["all", "shown"], default=None,
                    help="also run this tree with BRIEFBOT_EMBED_SENTENCES set to this")
    ap.add_argument("--also", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]",
                    help="also run this tree with these BRIEFBOT_ settings (repeatable), e.g. "
                         "BRIEFBOT_ENCODER=static")
    ap.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = ap.parse_args()
    if not args.dataset.is_file():
        print(f"no such dataset: {args.dataset}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        subset = tmp / "subset.jsonl"
        with args.dataset.open(encoding="utf-8") as src, subset.open("w", encoding="utf-8") as dst:
            for n, row in enumerate(src):
                if n >= args.limit:
                    break
                dst.write(row)
        base_tree = tmp / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q",
                        str(base_tree), args.baseline_rev], check=True)
        try:
            results = {}
            print(f"baseline ({args.baseline_rev}) ...", file=sys.stderr, flush=True)
            results["baseline"] = run_child(base_tree, subset, tmp / "base.db", {})
            print(line("  done:", results["baseline"]), file=sys.stderr, flush=True)
            print("this tree ...", file=sys.stderr, flush=True)
            results["new"] = run_child(ROOT, subset, tmp / "new.db", {})
            if args.also_embed:
                key = f"new_embed_{args.also_embed}"
                print(f"this tree, embed {args.also_embed} ...", file=sys.stderr, flush=True)
                results[key] = run_child(ROOT, subset, tmp / "also.db",
                                         {"BRIEFBOT_EMBED_SENTENCES": args.also_embed})
            for n, spec in enumerate(args.also, 1):
                extra = dict(item.split("=", 1) for item in spec.split(","))
                print(f"this tree, {spec} ...", file=sys.stderr, flush=True)
                results[f"new_{spec}"] = run_child(ROOT, subset, tmp / f"also{n}.db", extra)
                print(line("  done:", results[f"new_{spec}"]), file=sys.stderr, flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(base_tree)], check=False)
    base = results["baseline"]
    print(line(f"baseline {args.baseline_rev}:", base))
    print(line("this tree:", results["new"]))
    for key in results:
        if key.startswith("new_"):
            print(line(f"this tree, {key[4:]}:", results[key]))
    for key, r in results.items():
        if key != "baseline":
            print(f"{key}: {r['articles_per_s'] / base['articles_per_s']:.2f}x the baseline's "
                  f"articles/s, {base['cpu_seconds'] / r['cpu_seconds']:.2f}x less CPU time, "
                  f"{r['peak_mb'] / base['peak_mb']:.2f}x its peak memory")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
