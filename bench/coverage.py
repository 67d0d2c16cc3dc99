"""Does briefbot answer only when it has coverage, and about the story asked?

    .venv/bin/python bench/coverage.py [--stories 5] [--per-story 50] [--seed 17] [--json]

A fixed-seed split of Timeline17's stories: some are ingested as one mixed stream (a
cached real index under /tmp, see bench/t17.py), the rest are held back. Then:

1. Coverage decision. "latest on X" is asked about
   - the ingested stories' own people, places, organisations and events (taken from the
     index: named in at least five of one story's articles): should be answered;
   - the held-back stories' people and places (spaCy on their leads) and their own story
     names: should be "no coverage" (or passing mentions), unless the ingested stories
     also cover them, judged by the story labels: named in five articles of one ingested
     story (as its own names are) means covered, in none means not, anything between is
     ambiguous and left out of the scores (counted apart);
   - unrelated topics that share common words with the stream ("Greek debt crisis",
     "Nepal earthquake"): should be "no coverage".
   Precision and recall of "answered" (a briefing; and, as a second row, a briefing or the
   cited passing mentions), for the system and for the baseline of the same run (the old
   rule: answer whenever resolve finds any article, words joined by OR when AND finds none).
2. Story share. "latest on Q" and "timeline of Q" for each ingested story's query and
   its most story-specific names: the share of cited articles whose Timeline17 label is
   the story asked about; baseline: the same commands reading the old article choice
   (newest articles naming the topic, or every such article for a timeline).

Data: ../shared/eval/t17 (research use, read at run time, never copied). Progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bench.t17 import (CACHE, QUERIES, T17, build_index, detokenize, load_articles,  # noqa: E402
                       sample, split_stories)

#: Topics no Timeline17 story is about, several sharing a common word with one.
UNRELATED = [
    "World Cup 2026", "Champions League final", "Tokyo Olympics", "Apple iPhone launch",
    "bitcoin price", "Brexit negotiations", "Super Bowl halftime show", "Taylor Swift tour",
    "Mars rover landing", "Amazon rainforest fires", "Hong Kong protests", "Greek debt crisis",
    "Ebola outbreak", "Fukushima nuclear disaster", "Kenya election violence", "Ukraine war",
    "Zika virus", "Nepal earthquake", "Catalonia independence referendum", "Chilean miners rescue",
    "Icelandic volcano ash cloud", "Deepwater drilling in the Arctic", "Tesla electric cars",
    "Venezuela blackout", "Scottish independence vote", "Boston marathon bombing",
    "Thailand cave rescue", "Sochi Winter Olympics", "Rohingya refugees in Myanmar",
    "Cyprus banking crisis", "Gulf war syndrome", "Wall Street protests", "Afghanistan election",
    "Tunisia elections", "Pakistan floods", "Chinese stock market crash", "Oscars ceremony",
    "Wimbledon final", "Mexico drug war", "Somalia famine", "Ice Bucket Challenge",
    "Large Hadron Collider", "Pope Francis visit", "Flint water crisis", "Grenfell Tower fire",
    "Notre-Dame cathedral fire", "Paris climate agreement", "Hurricane Katrina",
    "Indian Ocean tsunami", "Sri Lanka civil war", "Zimbabwe inflation", "Costa Concordia",
    "Malaysia Airlines MH370", "Volkswagen emissions scandal", "Panama Papers",
]
#: A story's own names: in at least this many of its articles (a tenth of 50).
OWN_ARTICLES = 5
NAMES_PER_STORY = 40
HELD_NAMES_PER_STORY = 40
#: Datelines' time zones are tagged as organisations; nobody asks about them.
TIME_ZONES = re.compile(r"^(?:GMT|BST|UTC|EST|EDT|PST|CET)$")
SHARE_NAMES_PER_STORY = 4


def services_for(path: Path, encoder: str = "auto"):
    from bot.config import Settings
    from bot.services import build_services

    return build_services(Settings.load(env={"BRIEFBOT_ENCODER": encoder}, dotenv=None,
                                        db_path=path))


def ingested_names(index, labels_by_id: dict[int, str], stories: list[str]) -> dict[str, list[str]]:
    """Per ingested story, its own names: entities and events in OWN_ARTICLES of its articles."""
    out: dict[str, list[tuple[int, str]]] = {s: [] for s in stories}
    conn = index.conn
    rows = conn.execute("SELECT e.name, e.type, m.article_id FROM mentions m JOIN entities e "
                        "ON e.id = m.entity_id WHERE e.type IN ('PERSON', 'GPE', 'ORG', 'NORP', 'LOC') "
                        "GROUP BY e.id, m.article_id").fetchall()
    rows += conn.execute("SELECT e.name, 'EVENT', ea.article_id FROM event_articles ea JOIN events e "
                         "ON e.id = ea.event_id").fetchall()
    per: dict[tuple[str, str], Counter] = {}
    for name, _type, aid in rows:
        per.setdefault((name, _type), Counter())[labels_by_id.get(aid, "?")] += 1
    for (name, _type), counts in per.items():
        for s, n in counts.items():
            if s in out and n >= OWN_ARTICLES and len(name) > 1 and not TIME_ZONES.match(name):
                out[s].append((n, name))
    return {s: [n for _, n in sorted(v, reverse=True)[:NAMES_PER_STORY]] for s, v in out.items()}


def held_back_names(rows: list[dict], stories: list[str], nlp) -> dict[str, list[str]]:
    """Per held-back story, people, places and organisations named in the leads of at least
    four of 120 of its articles (spaCy, nothing ingested)."""
    from summarizer.sentences import split_sentences

    out = {}
    for label in stories:
        arts = sample(rows, label, 120)
        counts: Counter = Counter()
        for a in arts:
            lead = " ".join(split_sentences(detokenize(a["article"]))[:5])
            counts.update({e.text.strip() for e in nlp(lead).ents
                           if e.label_ in {"PERSON", "GPE", "ORG", "NORP"} and len(e.text) > 2
                           and not re.search(r"\d|^the\b", e.text, re.I)})
        out[label] = [n for n, c in counts.most_common(HELD_NAMES_PER_STORY) if c >= 4 and not TIME_ZONES.match(n)]
    return out


def truth(name: str, texts_by_story: dict[str, list[str]]) -> bool | None:
    """Whether the ingested stories cover a name from elsewhere, by the story labels:
    named in at least OWN_ARTICLES articles of one ingested story (as a story's own names
    are) means covered, named in none means not, anything between is ambiguous."""
    pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)", re.IGNORECASE)
    counts = [sum(bool(pattern.search(t)) for t in texts) for texts in texts_by_story.values()]
    if any(n >= OWN_ARTICLES for n in counts):
        return True
    return False if not any(counts) else None


def old_resolve(index, text: str):
    """Today's (baseline) rule: any event, entity or article found, words OR-ed when AND
    finds nothing; the articles newest first."""
    from bot.commands._common import tidy_topic
    from bot.index import entity_store, queries
    from bot.index.rows import Topic, TopicKind

    with index._lock:
        conn = index.conn
        topic = queries.clean_topic(tidy_topic(text))
        if not topic:
            return Topic(TopicKind.NONE, text)
        if (eid := queries.find_event(conn, topic)):
            ev = queries.event_row(conn, eid)
            return Topic(TopicKind.EVENT, ev.name, ev.article_ids, event=ev,
                         about_ids=ev.article_ids[:12])
        if (nid := entity_store.lookup(conn, topic)):
            ent = queries.entity_row(conn, nid)
            return Topic(TopicKind.ENTITY, ent.name, ent.article_ids, entity=ent,
                         about_ids=ent.article_ids[:12])
        ids = queries.search(conn, topic)
        if not ids:
            return Topic(TopicKind.NONE, topic)
        dates = queries.publication_dates(conn, ids)
        newest = sorted(ids, key=lambda a: (dates[a] is not None, dates[a] and dates[a].timestamp()),
                        reverse=True)
        return Topic(TopicKind.TEXT, topic, ids, about_ids=newest[:12])


async def ask(services, text: str):
    return await services.registry.dispatch(services.registry.parse(text, platform="bench"), services)


def prf(decisions: list[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(p and t for p, t in decisions)
    fp = sum(p and not t for p, t in decisions)
    fn = sum(t and not p for p, t in decisions)
    tn = sum(not p and not t for p, t in decisions)
    return {"precision": round(100 * tp / max(tp + fp, 1), 1), "recall": round(100 * tp / max(tp + fn, 1), 1),
            "no_coverage_precision": round(100 * tn / max(tn + fn, 1), 1),
            "no_coverage_recall": round(100 * tn / max(tn + fp, 1), 1),
            "accuracy": round(100 * (tp + tn) / max(len(decisions), 1), 1)}


async def coverage_section(services, questions: list[tuple[str, str, bool]]) -> dict:
    from bot.core import ReplyKind

    system, mentions, baseline, kinds = [], [], [], Counter()
    wrong = []
    for k, (group, name, covered) in enumerate(questions, 1):
        reply = await ask(services, f"latest on {name}")
        kinds[str(reply.kind)] += 1
        answered = reply.kind == ReplyKind.ANSWER
        old = await asyncio.to_thread(old_resolve, services.index, name)
        system.append((answered, covered))
        mentions.append((reply.kind != ReplyKind.NO_COVERAGE, covered))
        baseline.append((bool(old.article_ids), covered))
        if answered != covered:
            wrong.append(f"{group}: {name!r} covered={covered} -> {reply.kind}")
        print(f"\rcoverage {k}/{len(questions)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {"system": prf(system), "system_with_mentions": prf(mentions), "baseline": prf(baseline),
            "kinds": dict(kinds), "wrong": wrong}


async def share_section(services, labels_by_id: dict[int, str], asks: list[tuple[str, str]]) -> dict:
    from bot.commands import latest, timeline
    from bot.commands._common import tidy_topic

    index = services.index
    totals = {f"{cmd}_{who}": [0, 0] for cmd in ("latest", "timeline") for who in ("system", "baseline")}
    for k, (label, q) in enumerate(asks, 1):
        new = await asyncio.to_thread(index.resolve_topic, tidy_topic(q))
        old = await asyncio.to_thread(old_resolve, index, q)
        old_timeline = replace(old, about_ids=list(old.article_ids), passing_ids=[])
        runs = {"latest_system": (latest._brief, new), "latest_baseline": (latest._brief, old),
                "timeline_system": (timeline._timeline, new),
                "timeline_baseline": (timeline._timeline, old_timeline)}
        for key, (fn, topic) in runs.items():
            if not topic.about_ids:
                continue
            reply = await asyncio.to_thread(fn, services, topic, tidy_topic(q))
            cited = [s.article_id for s in reply.sources]
            totals[key][0] += sum(labels_by_id.get(a) == label for a in cited)
            totals[key][1] += len(cited)
        print(f"\rstory share {k}/{len(asks)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {key: {"share": round(100 * a / max(n, 1), 1), "cited": n} for key, (a, n) in totals.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=T17)
    ap.add_argument("--stories", type=int, default=5, help="stories ingested; the rest are held back")
    ap.add_argument("--per-story", type=int, default=50, help="articles ingested per story")
    ap.add_argument("--max-sentences", type=int, default=20, help="sentences kept per article")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--ingest", default="", metavar="LABEL,LABEL",
                    help="ingest these stories instead of a seeded choice (e.g. EgyptianProtest,haiti)")
    ap.add_argument("--refresh-aboutness", action="store_true",
                    help="recompute stored aboutness on the working copy (after changing its rule)")
    ap.add_argument("--encoder", default="auto", help="BRIEFBOT_ENCODER of the index and the "
                    "answers (static, hashing: an index of its own, cached apart)")
    ap.add_argument("--cache", type=Path, default=CACHE,
                    help=f"folder of the built indexes (default {CACHE}); a new one rebuilds them")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        rows = load_articles(args.data)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ingested, held = split_stories(rows, stories=args.stories, seed=args.seed)
    if args.ingest:
        chosen = sorted(set(args.ingest.split(",")))
        unknown = set(chosen) - set(ingested) - set(held)
        if unknown:
            print(f"error: --ingest: no story {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        ingested, held = chosen, sorted(set(ingested + held) - set(chosen))
    from summarizer.embeddings import Encoder

    cached, labels = build_index(rows, stories=ingested, per_story=args.per_story,
                                 max_sentences=args.max_sentences, seed=args.seed,
                                 encoder=Encoder(backend=args.encoder), cache=args.cache)
    work = Path(tempfile.mkdtemp(prefix="briefbot-coverage-")) / "t17.db"
    shutil.copy(cached, work)
    try:
        services = services_for(work, args.encoder)
        index = services.index
        if args.refresh_aboutness:
            from bot.index.aboutness import refresh_articles
            with index._lock:
                index.conn.execute("BEGIN")
                refresh_articles(index.conn, [r[0] for r in index.conn.execute("SELECT id FROM articles")])
                index.conn.execute("COMMIT")
        labels_by_id = {r[0]: labels.get(r[1], "?") for r in index.conn.execute(
            "SELECT id, origin FROM articles")}
        texts_by_story: dict[str, list[str]] = {s: [] for s in ingested}
        for aid, title, text in index.conn.execute("SELECT id, title, text FROM articles"):
            texts_by_story.setdefault(labels_by_id[aid], []).append(f"{title}\n{text}")
        own = ingested_names(index, labels_by_id, ingested)
        others = held_back_names(rows, held, index.nlp)
        questions: list[tuple[str, str, bool]] = []
        ambiguous: list[str] = []
        seen: set[str] = set()

        def add(group: str, name: str, covered: bool | None) -> None:
            if name.lower() in seen:
                return
            seen.add(name.lower())
            if covered is None:
                ambiguous.append(name)
            else:
                questions.append((group, name, covered))

        for s in ingested:
            add("ingested story", QUERIES.get(s, s), True)
            for name in own[s]:
                add("ingested names", name, True)
        for s in held:
            add("held-back story", QUERIES.get(s, s), truth(QUERIES.get(s, s), texts_by_story))
            for name in others[s]:
                add("held-back names", name, truth(name, texts_by_story))
        for name in UNRELATED:
            add("unrelated", name, truth(name, texts_by_story) and None)
        coverage = asyncio.run(coverage_section(services, questions))
        specific = {s: [n for n in own[s] if truth_in_one(n, s, texts_by_story)][:SHARE_NAMES_PER_STORY]
                    for s in ingested}
        asks = [(s, QUERIES.get(s, s)) for s in ingested] + [(s, n) for s in ingested for n in specific[s]]
        share = asyncio.run(share_section(services, labels_by_id, asks))
        index.close()
    finally:
        shutil.rmtree(work.parent, ignore_errors=True)
    groups = Counter(g for g, _, _ in questions)
    result = {"ingested": ingested, "held_back": held, "articles": len(labels),
              "questions": len(questions), "groups": dict(groups), "ambiguous": ambiguous,
              "coverage": coverage, "story_share": share, "share_questions": len(asks)}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"ingested {', '.join(ingested)} ({len(labels)} articles, {args.per_story} a story, "
          f"seed {args.seed}); held back {', '.join(held)}")
    print(f"{len(questions)} questions ({', '.join(f'{g} {n}' for g, n in groups.items())}); "
          f"{len(ambiguous)} ambiguous left out")
    print("answered = a briefing (system_with_mentions: a briefing or cited passing mentions)")
    print(f"{'':22}{'P':>7}{'R':>7}{'noCov P':>9}{'noCov R':>9}{'acc':>7}")
    for who in ("system", "system_with_mentions", "baseline"):
        m = coverage[who]
        print(f"{who:22}{m['precision']:7.1f}{m['recall']:7.1f}{m['no_coverage_precision']:9.1f}"
              f"{m['no_coverage_recall']:9.1f}{m['accuracy']:7.1f}")
    print(f"system replies: {coverage['kinds']}")
    for line in coverage["wrong"]:
        print("  wrong:", line)
    print(f"story share of cited articles ({len(asks)} questions)")
    for key, v in share.items():
        print(f"  {key:20}{v['share']:6.1f}%  of {v['cited']} cited")
    return 0


def truth_in_one(name: str, label: str, texts_by_story: dict[str, list[str]]) -> bool:
    """Named in five articles of this story and in at most one of any other: a name whose
    answers can be judged by the story label."""
    pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)", re.IGNORECASE)
    counts = {s: sum(bool(pattern.search(t)) for t in texts) for s, texts in texts_by_story.items()}
    return counts.get(label, 0) >= OWN_ARTICLES and all(
        n <= 1 for s, n in counts.items() if s != label)


if __name__ == "__main__":
    raise SystemExit(main())
