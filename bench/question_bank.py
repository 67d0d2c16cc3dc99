"""How many questions of the bank (tests/question_bank.py) are understood, beside baselines.

    .venv/bin/python bench/question_bank.py [--db briefbot.db] [--old REV]

Topics come from the database (the seeds are ingested into a temporary one when it is
missing or empty). Figures: the share of questions whose command, topic and time window
all come out right, for the development templates and the held-out ones apart, with two
baselines from the same run: the whole question taken as a "latest" topic, and (with
--old REV) the parser of an earlier commit, run from a temporary git worktree so its code
is never copied here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from question_bank import NOW, Case, Scored, bank_topics, build_bank, score  # noqa: E402

from bot.commands._common import tidy_topic  # noqa: E402

Answer = Callable[[str], tuple[str, str, object]]

#: Run inside the old commit's worktree: its own registry's parse() on every question.
_OLD_PARSER = """
import json, sys
from bot.registry import load_commands
registry = load_commands()
out = {}
for text in json.load(sys.stdin):
    request = registry.parse(text)
    out[text] = [request.command, request.text]
json.dump(out, sys.stdout)
"""


def _topics(db: Path) -> tuple[list[str], list[str]]:
    from bot.index.store import Index

    index = Index(db)
    try:
        if index.is_empty():
            from bot.ingest.pipeline import run_ingest

            cwd = os.getcwd()
            os.chdir(ROOT)
            try:
                run_ingest(["seeds"], index, progress=False)
            finally:
                os.chdir(cwd)
        return bank_topics(index)
    finally:
        index.close()


def briefbot_answer() -> Answer:
    from bot.questions import parse_question
    from bot.registry import load_commands

    registry = load_commands()

    def answer(text: str):
        q = parse_question(text, registry)
        return q.command, tidy_topic(q.topic), q.window.bounds(NOW) if q.window else None
    return answer


def whole_question(text: str):
    """Baseline: no understanding at all, the question is the topic of `latest`."""
    return "latest", tidy_topic(text), None


def old_parser(rev: str, cases: list[Case]) -> Answer:
    """The registry parser of commit `rev`, from a temporary worktree (no windows then)."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
                       check=True, capture_output=True)
        try:
            done = subprocess.run([sys.executable, "-c", _OLD_PARSER], cwd=tree, check=True,
                                  input=json.dumps([c.text for c in cases]), capture_output=True,
                                  text=True, env={**os.environ, "PYTHONPATH": str(tree)})
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)
    parsed = json.loads(done.stdout)
    return lambda text: (parsed[text][0], tidy_topic(parsed[text][1]), None)


def _row(name: str, s: Scored, n: int) -> str:
    return (f"{name:<34} {n:>4}  all three {s.exact:6.1%}   command {s.command:6.1%}   "
            f"topic {s.topic:6.1%}   window {s.window:6.1%}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", type=Path, help="an index holding the seeds (default: a temporary one)")
    p.add_argument("--old", metavar="REV", help="also score the parser of this git commit")
    p.add_argument("--misses", action="store_true", help="list the questions briefbot gets wrong")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        people, events = _topics(args.db or Path(tmp) / "seeds.db")
    cases = build_bank(people, events)
    print(f"{len(cases)} questions; people {people}; events {events}")
    systems: list[tuple[str, Answer]] = [("briefbot", briefbot_answer()),
                                         ("baseline: whole question = topic", whole_question)]
    if args.old:
        systems.append((f"baseline: parser of {args.old[:10]}", old_parser(args.old, cases)))
    for half, held in (("development templates", False), ("held-out templates", True)):
        part = [c for c in cases if c.held_out == held]
        print(f"\n{half}")
        for name, answer in systems:
            result = score(part, answer)
            print(_row(name, result, len(part)))
            if args.misses and name == "briefbot":
                for case, got in result.misses:
                    print(f"    {case.text!r}: expected {case.command}/{case.topic}, got {got[:2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
