"""Which days should a timeline show? Date selection against Timeline17's journalists.

    .venv/bin/python bench/timeline_dates.py [--k 12] [--json]

For each of the 19 journalist timelines, the days on which its story's articles were
published are the candidates; a strategy picks `k` of them, and is scored by date F1
against the days the journalist wrote entries for (Martschat & Markert 2018 call this
date selection). Strategies, all from the same run:

- oldest: the first k days with coverage (what `timeline` reads);
- busiest: the k days with the most articles;
- even: k days evenly spread over the story's span;
- busiest_per_span: the busiest day in each of k equal stretches of the span;
- newest: the last k days.

Data: ../shared/eval/t17/ (research use, read at run time, never copied).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

T17 = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "t17"


def f1(pred: set[str], ref: set[str]) -> float:
    hit = len(pred & ref)
    if not hit:
        return 0.0
    p, r = hit / len(pred), hit / len(ref)
    return 2 * p * r / (p + r)


def strategies(k: int) -> dict[str, Callable[[Counter], set[str]]]:
    def oldest(days: Counter) -> set[str]:
        return set(sorted(days)[:k])

    def busiest(days: Counter) -> set[str]:
        return {d for d, _ in sorted(days.items(), key=lambda x: (-x[1], x[0]))[:k]}

    def even(days: Counter) -> set[str]:
        ds = sorted(days)
        if len(ds) <= k:
            return set(ds)
        return {ds[round(i * (len(ds) - 1) / (k - 1))] for i in range(k)}

    def busiest_per_span(days: Counter) -> set[str]:
        ds = sorted(days)
        spans = [ds[round(i * len(ds) / k):round((i + 1) * len(ds) / k)] for i in range(k)]
        return {max(s, key=lambda d: (days[d], d)) for s in spans if s}

    def newest(days: Counter) -> set[str]:
        return set(sorted(days)[-k:])

    return {f.__name__: f for f in (oldest, busiest, even, busiest_per_span, newest)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=T17)
    ap.add_argument("--k", type=int, default=12, help="days a timeline shows (timeline's MAX_ENTRIES)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        articles = [json.loads(line) for line in (args.data / "t17_articles.jsonl").open()]
        timelines = [json.loads(line) for line in (args.data / "t17_timelines.jsonl").open()]
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    days_of: dict[str, Counter] = {}
    for a in articles:
        days_of.setdefault(a["topic"], Counter())[a["date"][:10]] += 1
    picks = strategies(args.k)
    totals = dict.fromkeys(picks, 0.0)
    n = 0
    for tl in timelines:
        days = days_of.get(tl["topic"])
        if not days:
            continue
        ref = {e["date"][:10] for e in tl["reference"]}
        for name, pick in picks.items():
            totals[name] += f1(pick(days), ref)
        n += 1
    result = {"n": n, "k": args.k, **{name: round(100 * t / max(n, 1), 1) for name, t in totals.items()}}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{n} timelines with articles, {args.k} days each; date F1 (%)")
        for name in picks:
            print(f"  {name:18}{result[name]:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
