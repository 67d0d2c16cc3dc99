"""The tests' fast pair (hashing encoder + blank spaCy) against the real models (run by hand).

    nice -n 10 .venv/bin/python bench/fast_pair.py [--rounds 3] [--sentences 500]

In one process, with the real models (MiniLM via the configured backend, the configured
spaCy model) as the baseline: the time to ingest the seed pages into a fresh SQLite file
(models loaded and warmed first, rounds alternating so machine noise hits both), and the
time to embed N seed sentences. Prints the best of the rounds and real/fast ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.index.shared import shared_encoder, shared_nlp  # noqa: E402
from bot.index.store import Index  # noqa: E402
from bot.ingest.pipeline import run_ingest  # noqa: E402
from summarizer.embeddings import Encoder, EncoderBackend  # noqa: E402
from summarizer.sentences import split_sentences  # noqa: E402


def ingest_seconds(encoder: Encoder, nlp: object) -> tuple[float, int]:
    """Seconds to ingest the seeds folder into a new file, and how many articles it stored."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        index = Index(db, Settings.load(env={}, dotenv=None, db_path=db), encoder=encoder, nlp=nlp)
        try:
            started = time.perf_counter()
            report = run_ingest([str(ROOT / "seeds")], index, progress=False)
            return time.perf_counter() - started, report.stored
        finally:
            index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=500)
    args = parser.parse_args()
    import spacy

    settings = Settings.load(env={}, dotenv=None)
    worlds = {"real": (shared_encoder(settings.embedding_model, settings.encoder),
                       shared_nlp(settings.spacy_model)),
              "fast": (Encoder(backend=EncoderBackend.HASHING), spacy.blank("en"))}
    texts = [s for p in sorted((ROOT / "seeds").glob("*.txt")) for s in split_sentences(p.read_text())]
    texts = (texts * (args.sentences // max(1, len(texts)) + 1))[:args.sentences]
    for encoder, nlp in worlds.values():  # load and warm both before timing anything
        encoder.encode(texts[:8])
        list(nlp.pipe(texts[:8]))
    ingest: dict[str, list[float]] = {name: [] for name in worlds}
    encode: dict[str, list[float]] = {name: [] for name in worlds}
    stored: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, (encoder, nlp) in worlds.items():
            seconds, stored[name] = ingest_seconds(encoder, nlp)
            ingest[name].append(seconds)
            started = time.perf_counter()
            encoder.encode(texts)
            encode[name].append(time.perf_counter() - started)
    for what, runs in (("ingest the seed pages", ingest), (f"embed {len(texts)} seed sentences", encode)):
        real, fast = min(runs["real"]), min(runs["fast"])
        print(f"{what}: real models {real:.3f} s, fast pair {fast:.3f} s "
              f"(best of {args.rounds}; real/fast {real / fast:.1f}x)")
    print(f"articles stored: real {stored['real']}, fast {stored['fast']}")


if __name__ == "__main__":
    main()
