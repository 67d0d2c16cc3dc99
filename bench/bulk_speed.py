"""Bulk copies per second: this tree against an earlier commit, on copies of one archive.

    .venv/bin/python bench/bulk_speed.py [--archive /tmp/briefbot-scale/dev40/scale.db]
        [--templates /tmp/briefbot-scale/dev40/templates-40.pkl] [--copies 300] [--batch 50]
        [--baseline-rev 50c33ed]

The archive (built by bench/scale.py) is copied twice; each copy grows by the same
`--copies` varied copies (`bot.index.bulk.vary`, the copy numbers bench/scale.py would
write next), once by the code of `--baseline-rev` (exported with `git archive`; one write
transaction per copy, `bulk.write`) and once by this tree (`bulk.write_many`, `--batch`
copies per transaction, or `bulk.write` with --batch 1). Both run back to back in fresh
processes on the same machine, so the ratio is the figure to read. Per-copy cost that grows
with the archive shows as a lower rate on a larger `--archive`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, pickle, sys, time
from pathlib import Path
from bot.config import Settings
from bot.index import bulk
from bot.index.store import Index
db, tmpl_path, copies, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
index = Index(db, Settings.load(env={}, dotenv=None, db_path=db))
tmpl = pickle.load(open(tmpl_path, "rb"))
row = index.conn.execute("SELECT MAX(CAST(substr(origin, 7) AS INTEGER)) FROM article_sources "
                         "WHERE origin LIKE 'scale/%'").fetchone()
first = (row[0] or 0) + 1
before = index.article_count()
start = time.perf_counter()
status = {}
for at in range(first, first + copies, batch):
    ps = [bulk.vary(tmpl[c % len(tmpl)], c, exact=c % 25 == 24, mix=tmpl[(c * 7 + 1) % len(tmpl)])
          for c in range(at, min(at + batch, first + copies))]
    rs = bulk.write_many(index, ps) if batch > 1 else [bulk.write(index, p) for p in ps]
    for r in rs:
        status[r.status] = status.get(r.status, 0) + 1
secs = time.perf_counter() - start
print(json.dumps({"archive": before, "secs": secs, "copies_per_s": copies / secs,
                  "status": status}))
index.close()
"""


def run(tree: Path, db: Path, templates: Path, copies: int, batch: int) -> dict:
    child = subprocess.run([sys.executable, "-c", _CHILD, str(db), str(templates), str(copies),
                            str(batch)], cwd=tree, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(tree)})
    if child.returncode != 0:
        sys.stderr.write(child.stderr)
        raise SystemExit(child.returncode)
    return json.loads(child.stdout.strip().splitlines()[-1])


def export(rev: str, into: Path) -> Path:
    """The `bot` package as it was at `rev`, unpacked under `into`."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "bot"], check=True,
                          capture_output=True).stdout
    tar = into / "baseline.tar"
    tar.write_bytes(data)
    with tarfile.open(tar) as tf:
        tf.extractall(into / "tree", filter="data")
    return into / "tree"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", default="/tmp/briefbot-scale/dev40/scale.db")
    ap.add_argument("--templates", default="/tmp/briefbot-scale/dev40/templates-40.pkl")
    ap.add_argument("--copies", type=int, default=300)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--baseline-rev", default="50c33ed",
                    help="commit whose bulk path is the baseline (one transaction per copy)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bulk-speed-") as tmp:
        work = Path(tmp)
        base_tree = export(args.baseline_rev, work)
        figures = {}
        for name, tree, batch in (("baseline", base_tree, 1), ("this tree", ROOT, args.batch)):
            db = work / f"{name.replace(' ', '_')}.db"
            shutil.copyfile(args.archive, db)
            figures[name] = run(tree, db, Path(args.templates), args.copies, batch)
            db.unlink()
            print(f"{name:10} ({'rev ' + args.baseline_rev if tree is base_tree else 'batch ' + str(batch)}): "
                  f"{figures[name]['copies_per_s']:.1f} copies/s on a {figures[name]['archive']}-article "
                  f"archive, {figures[name]['status']}", flush=True)
    ratio = figures["this tree"]["copies_per_s"] / figures["baseline"]["copies_per_s"]
    print(f"ratio this tree / baseline: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
