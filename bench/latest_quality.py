"""How good is "latest on X"? Timeline17 journalists' entries as the reference.

    .venv/bin/python bench/latest_quality.py [--per-timeline 3] [--budget 60] [--half even|odd]
        [--set w_lead=0.4 ...] [--when-bonus 0.15] [--json]

For a timeline entry dated d, the system sees only the newest articles of that
story published on d or the day before (what "latest" would have had that
evening), is asked for the latest on the story (query-focused, prefer_recent,
a word budget) and is scored against the journalist's entry for d with ROUGE-1/2
F1 (rouge-score, stemming). Baselines from the same run and the same input:

- lead_newest: first sentences of the newest articles, newest first, to the budget
  (what a reader gets by reading the top story);
- cosine_only: sentences most similar to the query, to the budget (no MMR, no priors).

Data: ../shared/eval/t17/ (research use, read at run time, never copied).
Embeddings are cached under ~/.cache/briefbot/. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import fields, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.summary_quality import DatasetError  # noqa: E402
from bot.index.embed_policy import EmbedPolicy, vector_mask  # noqa: E402
from summarizer.facets import says_when  # noqa: E402
from summarizer.sentences import split_sentences  # noqa: E402
from summarizer.embeddings import Encoder, EncoderBackend  # noqa: E402
from summarizer.types import Sentence  # noqa: E402

T17 = ROOT.parent / "shared" / "eval" / "t17"
QUERIES = {  # how a reader would ask about each Timeline17 story
    "EgyptianProtest": "Egypt protests", "Finan": "financial crisis", "H1N1": "swine flu",
    "IraqWar": "Iraq war", "LibyaWar": "Libya war", "MJ": "Michael Jackson death",
    "SyrianCrisis": "Syria crisis", "bpoil": "BP oil spill", "haiti": "Haiti earthquake",
}
METRICS = ("rouge1", "rouge2")


def load_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def cases(timelines: list[dict], articles: list[dict], per_timeline: int, max_articles: int) -> list[dict]:
    """Up to `per_timeline` evenly spaced entries per timeline that have same-day articles."""
    by_topic: dict[str, list[dict]] = {}
    for a in articles:
        by_topic.setdefault(a["topic"], []).append(a)
    out = []
    for tl in timelines:
        pool = by_topic.get(tl["topic"], [])
        days = {a["date"] for a in pool}
        usable = [e for e in tl["reference"] if e["date"] in days]
        if not usable:
            continue
        step = len(usable) / per_timeline
        for k in range(min(per_timeline, len(usable))):
            entry = usable[int(k * step)]
            d = date.fromisoformat(entry["date"])
            window = {d.isoformat(), (d - timedelta(days=1)).isoformat()}
            latest = sorted((a for a in pool if a["date"] in window), key=lambda a: (a["date"], a["id"]),
                            reverse=True)[:max_articles]
            story = tl["topic"].split("_")[0]
            out.append({"timeline": tl["id"], "query": QUERIES.get(story, story),
                        "reference": entry["text"], "articles": latest})
    return out


def embed(case_list: list[dict], cache_dir: Path, enc: Encoder | None = None) -> dict[str, np.ndarray]:
    """Sentence embeddings per article id, cached on disk between runs (MiniLM's under
    their old name; another encoder's keyed by its identity)."""

    enc = enc or Encoder()
    name = "t17-embeddings.npz" if enc.backend in {"auto", "numpy", "torch"} else (
        f"t17-embeddings-{hashlib.sha256(enc.identity.encode()).hexdigest()[:12]}.npz")
    cache = cache_dir / name
    known: dict[str, np.ndarray] = dict(np.load(cache)) if cache.is_file() else {}
    todo = {a["id"]: a for c in case_list for a in c["articles"] if a["id"] not in known}
    if todo:
        for k, (aid, a) in enumerate(sorted(todo.items()), 1):
            known[aid] = enc.encode(split_sentences(a["article"]))
            print(f"\rencoding articles {k}/{len(todo)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, **known)
    return known


def sentences_of(case: dict, embeddings: dict[str, np.ndarray],
                 policy: EmbedPolicy = EmbedPolicy.ALL) -> list[Sentence]:
    """The case's sentences as the index stores them: a vector where `policy` gives one."""
    out = []
    for n, a in enumerate(case["articles"]):
        published = datetime.fromisoformat(a["date"]).replace(tzinfo=timezone.utc)
        emb = embeddings[a["id"]]
        texts = split_sentences(a["article"])
        for pos, (text, keep) in enumerate(zip(texts, vector_mask(texts, policy))):
            out.append(Sentence(id=n * 10_000 + pos, article_id=n, position=pos, text=text,
                                published=published, embedding=emb[pos] if keep else None))
    return out


def to_budget(ordered: list[Sentence], budget: int) -> list[Sentence]:
    out, used = [], 0
    for s in ordered:
        w = len(s.text.split())
        if used + w <= budget:
            out.append(s)
            used += w
    return out


def lead_newest(sents: list[Sentence], budget: int) -> list[Sentence]:
    newest_first = sorted(sents, key=lambda s: (-s.published.timestamp(), s.position, s.article_id))
    return to_budget(newest_first, budget)


def cosine_only(sents: list[Sentence], query_vec: np.ndarray, budget: int) -> list[Sentence]:
    return to_budget(sorted(sents, key=lambda s: (-float(s.embedding @ query_vec), s.id)), budget)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=T17, help="folder with t17_articles/timelines.jsonl")
    ap.add_argument("--per-timeline", type=int, default=3)
    ap.add_argument("--max-articles", type=int, default=6)
    ap.add_argument("--budget", type=int, default=60)
    ap.add_argument("--half", choices=("even", "odd"), default=None, help="every other case")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="override an MMRParams field for this run")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "briefbot")
    ap.add_argument("--when-bonus", type=float, default=0.0, metavar="W",
                    help="also score the system with this bonus for sentences that say when "
                         "(what `latest` adds for events), as the row system_when")
    ap.add_argument("--embed-sentences", type=EmbedPolicy, default=EmbedPolicy.SHOWN,
                    choices=list(EmbedPolicy), help="which sentences have a vector for the "
                    "system rows (as BRIEFBOT_EMBED_SENTENCES); system_embed_all is the baseline")
    ap.add_argument("--encoder", type=EncoderBackend, default=EncoderBackend.AUTO,
                    choices=list(EncoderBackend), help="encoder of the system rows (as "
                    "BRIEFBOT_ENCODER; queries too); system_embed_all and the baselines keep MiniLM")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        timelines = load_jsonl(args.data / "t17_timelines.jsonl")
        articles = load_jsonl(args.data / "t17_articles.jsonl")
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from rouge_score import rouge_scorer

    from summarizer.extractive import ExtractiveSummarizer, MMRParams

    types = {f.name: f.type for f in fields(MMRParams)}
    overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in types:
            print(f"error: --set {item}: no MMRParams field {name!r}", file=sys.stderr)
            return 2
        overrides[name] = int(value) if types[name] == "int" else float(value)

    case_list = cases(timelines, articles, args.per_timeline, args.max_articles)
    if args.half:
        case_list = case_list[0 if args.half == "even" else 1::2]
    encoder = Encoder()
    embeddings = embed(case_list, args.cache, encoder)
    system_encoder = Encoder(backend=args.encoder)
    system_embeddings = embed(case_list, args.cache, system_encoder) if (
        system_encoder.identity != encoder.identity) else embeddings
    mmr = replace(MMRParams(), **overrides)
    summarizer = ExtractiveSummarizer(system_encoder, mmr=mmr)
    baseline = ExtractiveSummarizer(encoder, mmr=mmr)
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    rows = ("system", *(("system_when",) if args.when_bonus else ()), "system_embed_all",
            "lead_newest", "cosine_only")
    totals = {name: np.zeros(len(METRICS)) for name in rows}
    words = dict.fromkeys(totals, 0)
    for k, case in enumerate(case_list, 1):
        sents = sentences_of(case, system_embeddings, args.embed_sentences)
        every = sentences_of(case, embeddings, EmbedPolicy.ALL)
        qvec = encoder.encode([case["query"]])[0]
        picks = {
            "system": list(summarizer.summarize(sents, query=case["query"], budget_words=args.budget,
                                                prefer_recent=True).sentences),
            **({"system_when": list(summarizer.summarize(
                sents, query=case["query"], budget_words=args.budget, prefer_recent=True,
                bonus={x.id: args.when_bonus for x in sents if says_when(x.text)}).sentences)}
               if args.when_bonus else {}),
            "system_embed_all": list(baseline.summarize(
                every, query=case["query"], budget_words=args.budget, prefer_recent=True).sentences),
            "lead_newest": lead_newest(every, args.budget),
            "cosine_only": cosine_only(every, qvec, args.budget),
        }
        ref = "\n".join(split_sentences(case["reference"]))
        for name, chosen in picks.items():
            s = scorer.score(ref, "\n".join(x.text for x in chosen))
            totals[name] += [s[m].fmeasure for m in METRICS]
            words[name] += sum(len(x.text.split()) for x in chosen)
        print(f"\r{k}/{len(case_list)} cases", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    n = len(case_list)
    result = {"n": n, **{name: {m: round(100 * v / max(n, 1), 2) for m, v in zip(METRICS, t)}
                         for name, t in totals.items()}}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"n = {n} timeline entries, budget {args.budget} words{', ' + args.half + ' half' if args.half else ''}"
              + (f", overrides {overrides}" if overrides else ""))
        print(f"{'':14}{'R-1':>8}{'R-2':>8}{'words':>8}")
        for name in totals:
            print(f"{name:14}{result[name]['rouge1']:8.2f}{result[name]['rouge2']:8.2f}"
                  f"{words[name] / max(n, 1):8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
