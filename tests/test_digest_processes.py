"""Each digest message reaches each channel exactly once when three real processes post
digests from one database (a SQLite file, then PostgreSQL) and the one holding a
half-posted digest is killed with SIGKILL."""

from __future__ import annotations

from datetime import UTC, datetime

from multiproc_child import child_env
from multiproc_digests import prepare, run


async def test_three_processes_one_killed_mid_post_each_message_once(database, fast_encoder,
                                                                      blank_nlp, blank_nlp_dir):
    db = database
    prepare(db, 9, fast_encoder, blank_nlp, datetime.now(UTC))
    env = {**child_env(db), "BRIEFBOT_ENCODER": "hashing",
           "BRIEFBOT_SPACY_MODEL": str(blank_nlp_dir)}
    done = await run(db, processes=3, channels=9, kills=1, env=env, victim="C004")
    assert done.kills == 1
    # The killed process held C004's digest with a message Slack had accepted; another took
    # the claim over once stale, found that message in history and posted only the rest.
    assert done.victim_killed_owner and done.victim_row.owner != done.victim_killed_owner
    assert done.victim_row.attempts == 2
    assert done.unsent == []
    assert {c for c, _ in done.copies} == {f"C{i:03d}" for i in range(9)}
    assert set(done.copies.values()) == {1}, done.copies  # every part of every digest, once
    assert max(p for _, p in done.copies) >= 2  # digests of several messages
