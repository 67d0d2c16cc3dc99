"""Entity mentions of many sentences, found by spaCy in worker processes when asked to.

Why: with a cheap sentence vector, spaCy's NER is most of ingest's time, and it runs on
one core. `BRIEFBOT_NER_PROCESSES=2` splits each batch's sentences between two worker
processes (the PyTorch encoder of the baseline used two threads). A worker runs the
whole per-sentence part (NER, the tagging `_trim_verbs` needs, the clean-up rules) and
sends back only the small `Mention` rows, never spaCy docs. Workers are started once
per process (spawned: each loads the pipeline by name; forking a threaded serving
process is not safe) and stop after IDLE_SECONDS without work, so a serving process
that ingests a feed now and then does not keep their memory. With 1, everything runs in
this process.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.index.entities import Mention, entity_docs, extract_mentions

log = logging.getLogger(__name__)

#: One article slice's sentences in, its mentions out (None: extraction failed).
Found = list[Mention] | None

#: Workers stop after this long without work (a bulk ingest keeps them busy).
IDLE_SECONDS = 60.0

_pools: dict[tuple[str, int], ProcessPoolExecutor] = {}
_last_used: dict[tuple[str, int], float] = {}
_inflight: dict[tuple[str, int], list[Future[list[Found]]]] = {}
_lock = threading.Lock()
_worker_nlp: Any = None


def mentions_of(nlp: Any, pieces: Sequence[Sequence[str]]) -> list[Found]:
    """Mentions per piece (one article's consecutive sentences; indexes are local to the
    piece), parsing all pieces' sentences in one spaCy pass. A rule failing on one piece
    loses only that piece's mentions."""
    flat = [s for piece in pieces for s in piece]
    docs = entity_docs(nlp, flat)
    out: list[Found] = []
    at = 0
    for piece in pieces:
        try:
            out.append(extract_mentions(docs[at:at + len(piece)], list(piece)))
        except Exception:  # noqa: BLE001 - a rule bug must not lose the article itself
            log.exception("entity extraction failed for a slice of %d sentences", len(piece))
            out.append(None)
        at += len(piece)
    return out


def _init_worker(name: str) -> None:
    global _worker_nlp
    from bot.index.shared import shared_nlp

    _worker_nlp = shared_nlp(name)


def _work(pieces: list[list[str]]) -> list[Found]:
    return mentions_of(_worker_nlp, pieces)


def _pool(name: str, processes: int) -> ProcessPoolExecutor:
    with _lock:
        key = (name, processes)
        if key not in _pools:
            _pools[key] = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                              initializer=_init_worker, initargs=(name,))
            _watch(key)
        _last_used[key] = time.monotonic()
        return _pools[key]


def _watch(key: tuple[str, int]) -> None:
    """Stop the pool `key` once it has had no work for IDLE_SECONDS."""
    def check() -> None:
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                return
            idle = time.monotonic() - _last_used.get(key, 0.0)
            busy = any(not f.done() for f in _inflight.get(key, []))
            if idle >= IDLE_SECONDS and not busy:
                del _pools[key]
                pool.shutdown(wait=False)
                return
        _timer(max(1.0, IDLE_SECONDS - idle), check)
    _timer(IDLE_SECONDS, check)


def _timer(seconds: float, then: Callable[[], None]) -> None:
    t = threading.Timer(seconds, then)
    t.daemon = True
    t.start()


def _discard(name: str, processes: int, pool: ProcessPoolExecutor) -> None:
    """Forget a broken pool, so the next batch starts fresh workers."""
    with _lock:
        if _pools.get((name, processes)) is pool:
            del _pools[(name, processes)]
    pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _shutdown() -> None:
    with _lock:
        for pool in _pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        _pools.clear()


def start_mentions(pieces: Sequence[Sequence[str]], *, nlp: Any = None, name: str = "",
                   processes: int = 1) -> Callable[[], list[Found]]:
    """`mentions_of` for every piece, in order, as a call that returns them.

    With `processes` > 1 and a pipeline `name` the workers can load, the pieces are split
    into groups of about equal sentence counts and sent to the workers at once, so this
    process can encode the same sentences while they parse; else the call parses them
    here with `nlp` (or the named pipeline)."""
    if processes <= 1 or not name or sum(len(p) for p in pieces) < 2 * processes:
        def here() -> list[Found]:
            from bot.index.shared import shared_nlp

            return mentions_of(nlp if nlp is not None else shared_nlp(name), pieces)
        return here
    groups = _split(pieces, processes)
    pool = _pool(name, processes)
    futures = [pool.submit(_work, [list(pieces[i]) for i in g]) for g in groups]
    with _lock:
        _inflight[(name, processes)] = [f for f in _inflight.get((name, processes), [])
                                        if not f.done()] + futures

    def gather() -> list[Found]:
        out: list[Found] = [None] * len(pieces)
        for g, future in zip(groups, futures):
            try:
                found = future.result()
            except BrokenProcessPool:  # a worker died (killed, out of memory): parse it here
                log.warning("an entity worker process died; parsing its sentences in this one")
                _discard(name, processes, pool)
                found = start_mentions([pieces[i] for i in g], name=name)()
            for i, f in zip(g, found):
                out[i] = f
        _last_used[(name, processes)] = time.monotonic()
        return out
    return gather


def _split(pieces: Sequence[Sequence[str]], parts: int) -> list[list[int]]:
    """Consecutive runs of piece indexes, `parts` at most, of about equal sentence counts
    (a piece is never cut: its mentions index its own sentences)."""
    total = sum(len(p) for p in pieces)
    groups: list[list[int]] = [[]]
    done = 0
    for i, piece in enumerate(pieces):
        if groups[-1] and done >= total * len(groups) / parts and len(groups) < parts:
            groups.append([])
        groups[-1].append(i)
        done += len(piece)
    return groups
