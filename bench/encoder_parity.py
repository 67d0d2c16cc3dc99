"""numpy MiniLM against torch MiniLM: same vectors? how fast? (run by hand)

    nice -n 10 .venv/bin/python bench/encoder_parity.py [--sentences 1000]

In one run, with the torch encoder as the baseline: cosine between the two backends'
vectors on seed sentences plus CNN/DM sentences (read from ../shared/eval where it
lies, never copied), the time to embed 1 question (median of 20, model loaded), the
time to embed N news sentences (what an ingest batch costs), and each backend's
load time (first call: imports + weights).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.embeddings import Encoder, EncoderBackend  # noqa: E402
from summarizer.sentences import split_sentences  # noqa: E402

CNNDM = ROOT.parent / "shared" / "eval" / "cnndm_test_frank250.jsonl"


def sentences(limit: int) -> list[str]:
    out = [s for p in sorted((ROOT / "seeds").glob("*.txt")) for s in split_sentences(p.read_text())]
    if CNNDM.is_file():
        for line in CNNDM.open(encoding="utf-8"):
            out += split_sentences(json.loads(line).get("article", ""))
            if len(out) >= limit:
                break
    return out[:limit]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=1000)
    args = ap.parse_args()
    texts = sentences(args.sentences)
    question = ["latest on Budapest summit"]
    rows = {}
    vectors = {}
    for backend in (EncoderBackend.NUMPY, EncoderBackend.TORCH):  # torch second: its idle threads spin
        enc = Encoder(backend=backend)
        t = time.perf_counter()
        enc.encode(question)
        load = time.perf_counter() - t
        one = []
        for _ in range(20):
            t = time.perf_counter()
            enc.encode(question)
            one.append(time.perf_counter() - t)
        t = time.perf_counter()
        vectors[backend] = enc.encode(texts)
        rows[backend] = (load, statistics.median(one) * 1000, time.perf_counter() - t)
        print(f"{backend.value}: done", flush=True)
    cos = (vectors[EncoderBackend.TORCH] * vectors[EncoderBackend.NUMPY]).sum(1)
    print(f"\n{len(texts)} sentences ({'seeds + CNN/DM' if CNNDM.is_file() else 'seeds only'})")
    print(f"{'backend':10}{'first call':>12}{'1 question':>12}{f'{len(texts)} sentences':>16}")
    for backend, (load, one_ms, many) in rows.items():
        print(f"{backend.value:10}{load:>10.2f} s{one_ms:>9.1f} ms{many:>14.2f} s")
    t_many, n_many = rows[EncoderBackend.TORCH][2], rows[EncoderBackend.NUMPY][2]
    print(f"numpy/torch on {len(texts)} sentences: {n_many / t_many:.2f}x")
    print(f"cosine numpy vs torch: min {cos.min():.7f}, mean {cos.mean():.7f}")


if __name__ == "__main__":
    main()
