"""Timeline17 as a mixed news stream in a real index, built once and cached under /tmp.

The evaluation texts are read from ../shared/eval/t17 at run time and never copied
into the repository; the built SQLite file lives in /tmp, keyed by its parameters,
so that reruns of a benchmark skip the slow ingest (about 1 article a second).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
T17 = ROOT.parent / "shared" / "eval" / "t17"
CACHE = Path("/tmp/briefbot-bench")

_PTB = [(" -LRB- ", " ("), (" -RRB-", ")"), ("-LRB- ", "("), ("`` ", '"'), (" ''", '"'),
        (" 's", "'s"), (" n't", "n't"), (" ,", ","), (" .", "."), (" ;", ";"), (" :", ":"),
        (" ?", "?"), (" !", "!"), ("\\/", "/"), ("$ ", "$"), (" %", "%")]
#: How a reader would ask about each story (the Timeline17 label before "_").
QUERIES = {
    "EgyptianProtest": "Egypt protests", "Finan": "financial crisis", "H1N1": "swine flu",
    "IraqWar": "Iraq war", "LibyaWar": "Libya war", "MJ": "Michael Jackson death",
    "SyrianCrisis": "Syria crisis", "bpoil": "BP oil spill", "haiti": "Haiti earthquake",
}


def detokenize(text: str) -> str:
    """PTB tokens back to news prose ("Obama 's" -> "Obama's")."""
    for a, b in _PTB:
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


def story(row: dict) -> str:
    """The story label: "LibyaWar_cnn" -> "LibyaWar"."""
    return row["topic"].split("_")[0]


def load_articles(data: Path = T17) -> list[dict]:
    path = data / "t17_articles.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (Timeline17 is read from shared/eval)")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def split_stories(rows: list[dict], *, stories: int, seed: int) -> tuple[list[str], list[str]]:
    """(ingested story labels, held-back ones), by a fixed seed."""
    labels = sorted({story(r) for r in rows})
    random.Random(seed).shuffle(labels)
    return sorted(labels[:stories]), sorted(labels[stories:])


def sample(rows: list[dict], label: str, n: int) -> list[dict]:
    """`n` articles of a story spread evenly over its dates (the whole story, not one week)."""
    pool = sorted((r for r in rows if story(r) == label), key=lambda r: (r["date"], r["id"]))
    if len(pool) <= n:
        return pool
    return [pool[int(k * len(pool) / n)] for k in range(n)]


def to_article(row: dict, max_sentences: int):
    """A Timeline17 row as briefbot reads an article: its first sentence is the headline."""
    from bot.ingest.model import Article
    from summarizer.sentences import split_sentences

    sentences = split_sentences(detokenize(row["article"]))[:max_sentences + 1]
    title = " ".join(sentences[0].split()[:20]) if sentences else row["id"]
    return Article(title=title, text="\n".join(sentences[1:]) or title,
                   publisher=row["topic"].split("_")[-1].upper(), origin=f"t17/{row['id']}",
                   date_source="metadata",
                   published=datetime.fromisoformat(row["date"][:10]).replace(hour=12, tzinfo=UTC))


def build_index(rows: list[dict], *, stories: list[str], per_story: int, max_sentences: int,
                seed: int, encoder=None, cache: Path = CACHE) -> tuple[Path, dict[str, str]]:
    """The cached database of these stories as one stream (oldest first), and
    {origin: story label} for every article in it. An `encoder` other than MiniLM
    (BRIEFBOT_ENCODER=static, hashing) gets its own file, keyed by its identity."""
    picked = [r for label in stories for r in sample(rows, label, per_story)]
    picked.sort(key=lambda r: (r["date"], r["id"]))
    labels = {f"t17/{r['id']}": story(r) for r in picked}
    params: list = [stories, per_story, max_sentences, seed]
    if encoder is not None and encoder.backend not in {"auto", "numpy", "torch"}:
        params.append(encoder.identity)
    key = hashlib.sha1(json.dumps(params).encode()).hexdigest()[:12]
    path = cache / f"t17-{key}.db"
    if path.is_file():
        return path, labels
    from bot.index.store import Index

    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in cache.glob(partial.name + "*"):
        leftover.unlink()
    index = Index(partial, encoder=encoder)
    start = time.monotonic()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - start, 1e-9)
        print(f"\ringesting {done}/{total} articles ({rate:.2f}/s)", end="", file=sys.stderr,
              flush=True)

    index.add_many([to_article(r, max_sentences) for r in picked], progress=progress)
    print(file=sys.stderr)
    index.close()
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)
    return path, labels
