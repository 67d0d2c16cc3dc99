"""What the workspace scope costs answers (issue 12): one archive, the same questions,
answered by a baseline checkout and by this code in the same run (run by hand).

    git archive 55eaa25 | tar -x -C /tmp/base     # the code before workspaces
    .venv/bin/python bench/scope_cost.py --baseline-root /tmp/base --limit 1500

1. The baseline code ingests the first `--limit` Timeline17 articles (spread over its
   stories by `scale.pick_real`) with spaCy's en_core_web_sm and the hashing encoder:
   the names and events are real, the vectors do not matter to the SQL measured here.
   This code ingests the same articles into a second file, a third each as the base
   corpus's, `discord:1`'s and `discord:2`'s.
2. Three runs, each a fresh process over its own copy of a file:
   - `baseline`: the baseline code on the first file;
   - `base scope`: this code on the first file (opening the copy applies the owners step;
     every row is the base corpus's), asked as the console asks; its replies are compared
     with the baseline's, whole;
   - `workspace scope`: this code on the second file, asked from a channel of
     `discord:1` (scope: base + discord:1, two thirds of the articles; its answers are
     not the baseline's, so its figures show the order of cost, not an overhead).
   Each times warm `latest`, `who`, `timeline`, `sources` over `scale.questions` and a
   channel digest at several moments, `--repeats` passes after one warm-up pass.
3. `--rounds` alternated runs of the three (on a shared machine one busy moment must not
   fall on one of them only); prints per command the quickest round's p50/p95 for the
   three, and each one's p95 over the baseline's.

The T17 texts are read from ../shared/eval/t17 and never copied into the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _code(root: str) -> None:
    """Import `bot` from `root` (the baseline checkout or this one), the bench helpers from here."""
    sys.path[:0] = [str(Path(root).resolve()), str(HERE)]


def _settings(db: Path):
    from bot.config import Settings
    from summarizer.embeddings import EncoderBackend

    return Settings.load(env={}, dotenv=None, db_path=db, encoder=EncoderBackend.HASHING)


def build(args: argparse.Namespace) -> int:
    _code(args.code_root)
    from bot.index.store import Index
    from scale import pick_real

    index = Index(args.db, _settings(Path(args.db)))
    articles = pick_real(args.limit)
    if args.owners:  # a third each: the base corpus's, discord:1's, discord:2's
        for n, article in enumerate(articles):
            article.workspace = ("", "discord:1", "discord:2")[n % 3]
    t0 = time.perf_counter()
    index.add_many(articles)
    print(json.dumps({"articles": index.article_count(), "seconds": round(time.perf_counter() - t0)}))
    index.close()
    return 0


def measure(args: argparse.Namespace) -> int:
    _code(args.code_root)
    from bot.digests.compose import channel_digest
    from bot.digests.manage import subscribe
    from bot.digests.store import DigestStore
    from bot.registry import load_commands
    from bot.services import Services
    from scale import COMMANDS, percentile, questions
    from summarizer import make_summarizer

    db = Path(args.db)
    settings = _settings(db)
    from bot.index.store import Index

    index = Index(db, settings)
    services = Services(settings=settings, index=index, registry=load_commands(),
                        summarizer=make_summarizer(settings, index.encoder))
    conn = index.conn
    qs = questions(conn, args.questions, seed=11)
    newest = conn.execute("SELECT MAX(published) FROM articles").fetchone()[0]
    from datetime import datetime

    now0 = datetime.fromisoformat(newest) + timedelta(hours=6)
    services.clock = lambda: now0
    guild = args.workspace.partition(":")[2] if args.workspace else ""
    registry = services.registry

    async def ask(text: str):
        # a Discord channel for all three runs (charts included): in a server for a
        # workspace, else outside any (the base corpus's scope)
        req = registry.parse(text, platform="discord", user_id="u1", channel_id="c1",
                             extra={"guild_id": guild} if guild else {})
        return await registry.dispatch(req, services)

    loop = asyncio.new_event_loop()
    timings: dict[str, list[float]] = {}
    said: dict[str, object] = {}
    for command in COMMANDS:
        for q in qs[command]:
            said[f"{command} {q}"] = loop.run_until_complete(ask(f"{command} {q}")).as_json()
        for _ in range(args.repeats):
            for q in qs[command]:
                t0 = time.perf_counter()
                loop.run_until_complete(ask(f"{command} {q}"))
                timings.setdefault(command, []).append(time.perf_counter() - t0)
    store = DigestStore(db)
    for i, days in enumerate((0, 1, 3, 7, 30)):
        now = now0 - timedelta(days=days)
        sub = subscribe(store, "discord", f"C{i}", "08:00", "UTC", None, False,
                        settings=settings, now=now, workspace=args.workspace)
        channel_digest(services, store, sub, now)
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            channel_digest(services, store, sub, now)
            timings.setdefault("digest", []).append(time.perf_counter() - t0)
    out: dict = {k: {"p50": round(percentile(v, 0.5) * 1000, 1),
                     "p95": round(percentile(v, 0.95) * 1000, 1), "n": len(v)}
                 for k, v in timings.items()}
    out["answers"] = said
    print(json.dumps(out))
    store.close()
    services.close()
    return 0


def _run(root: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args,
                          "--code-root", root], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(args: argparse.Namespace) -> int:
    here = str(HERE.parent)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    built, owned = work / "built.db", work / "owned.db"
    if not built.exists():
        print(f"building {args.limit} articles with the baseline code...", file=sys.stderr)
        print(_run(args.baseline_root, "build", str(built), "--limit", str(args.limit)),
              file=sys.stderr)
    if not owned.exists():
        print(f"building {args.limit} articles a third each by two workspaces, this code...",
              file=sys.stderr)
        print(_run(here, "build", str(owned), "--limit", str(args.limit), "--owners"),
              file=sys.stderr)
    rounds: dict[str, list[dict]] = {}
    plan = (("baseline", args.baseline_root, "", built), ("base scope", here, "", built),
            ("workspace scope", here, "discord:1", owned))
    for n in range(args.rounds):  # alternated: a busy moment of the machine hits all three
        for label, root, workspace, source in plan:
            copy = work / f"{label.replace(' ', '_')}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
            shutil.copy(source, copy)
            print(f"measuring {label} (round {n + 1})...", file=sys.stderr)
            rounds.setdefault(label, []).append(_run(
                root, "measure", str(copy), "--questions", str(args.questions),
                "--repeats", str(args.repeats), *(["--workspace", workspace] if workspace else [])))
    said = {label: runs[0].pop("answers") for label, runs in rounds.items()}
    # per command, the quickest round's p50 and p95: the least disturbed by other work
    runs = {label: {command: {stat: min(r[command][stat] for r in runs) for stat in ("p50", "p95")}
                    | {"n": runs[0][command]["n"]} for command in runs[0] if command != "answers"}
            for label, runs in rounds.items()}
    same = sum(said["baseline"][q] == said["base scope"].get(q) for q in said["baseline"])
    base = runs["baseline"]
    print(f"base scope gave the same answers as the baseline to {same} of "
          f"{len(said['baseline'])} questions (whole replies, sources included)")
    print(f"{'command':<10}" + "".join(f"{label:>28}" for label in runs))
    for command in base:
        cells = []
        for ms in runs.values():
            ratio = ms[command]["p95"] / base[command]["p95"] if base[command]["p95"] else 0
            cells.append(f"{ms[command]['p50']:>8.1f} /{ms[command]['p95']:>7.1f} ms {ratio:>5.2f}x")
        print(f"{command:<10}" + "".join(f"{c:>28}" for c in cells))
    print(f"(p50 / p95, and p95 over the baseline's; {base['latest']['n']} timed answers per "
          f"command; the quickest of {args.rounds} alternated rounds)")
    if args.json:
        print(json.dumps(runs))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="step")
    b = sub.add_parser("build")
    b.add_argument("db")
    b.add_argument("--limit", type=int, default=1500)
    b.add_argument("--code-root", default=str(HERE.parent))
    b.add_argument("--owners", action="store_true",
                   help="ingest a third each as the base corpus, discord:1 and discord:2")
    m = sub.add_parser("measure")
    m.add_argument("db")
    m.add_argument("--workspace", default="")
    m.add_argument("--questions", type=int, default=12)
    m.add_argument("--repeats", type=int, default=3)
    m.add_argument("--code-root", default=str(HERE.parent))
    ap.add_argument("--baseline-root", default="/tmp/base")
    ap.add_argument("--limit", type=int, default=1500)
    ap.add_argument("--questions", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="alternated runs of the three")
    ap.add_argument("--work", default="/tmp/briefbot-scope-cost")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.step == "build":
        return build(args)
    if args.step == "measure":
        return measure(args)
    return compare(args)


if __name__ == "__main__":
    raise SystemExit(main())
