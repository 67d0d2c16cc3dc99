"""bench/summary_quality.py as a user runs it: a subprocess on a JSONL file."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.summary_quality import bootstrap_ci
from tests.conftest import EVAL, ROOT

BENCH = ROOT / "bench" / "summary_quality.py"

RECORDS = [
    {"id": "a1",
     "article": "The city council approved a new budget on Monday that doubles spending on public transport. "
                "The plan adds forty electric buses and two new tram lines by 2027. "
                "Opposition members said the council had not explained how it would pay for the expansion. "
                "The mayor said fares would stay frozen for three years. "
                "Construction of the first tram line is due to start next spring.",
     "reference": "Council approves budget doubling public transport spending.\n"
                  "Plan adds forty electric buses and two tram lines."},
    {"id": "a2",
     "article": "A rare white humpback whale was spotted off the coast of Australia this week. "
                "Whale watchers in Queensland photographed the animal as it swam north. "
                "Scientists believe it is the same whale first seen in 1991. "
                "The whale, known as Migaloo, is one of very few white humpbacks in the world.",
     "reference": "Rare white humpback whale Migaloo seen off Queensland.\nFirst seen in 1991."},
    {"id": "a3",
     "article": "Shares in the carmaker fell sharply after it cut its profit forecast for the year. "
                "The company blamed weak demand in China and higher costs for batteries. "
                "Analysts said the warning was worse than expected. "
                "The chief executive said the firm would cut costs by two billion euros.",
     "reference": "Carmaker cuts profit forecast, blaming weak demand in China.\nShares fall sharply."},
]


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def check_shape(result: dict, n: int) -> None:
    assert result["n"] == n
    for name in ("system", "lead3"):
        assert set(result[name]) == {"rouge1", "rouge2", "rougeLsum"}
        for value in result[name].values():
            assert 0.0 <= value <= 100.0
            assert round(value, 2) == value


def test_json_on_a_small_dataset(tmp_path):
    data = tmp_path / "tiny.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    proc = run(str(data), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    check_shape(result, 3)
    # These articles put the gist first, so both systems overlap the references.
    assert result["system"]["rouge1"] > 20 and result["lead3"]["rouge1"] > 20
    assert "3/3 articles" in proc.stderr
    ci = result["ci95"]
    for name in ("system", "lead3"):
        for metric, (lo, hi) in ci[name].items():
            assert lo <= result[name][metric] <= hi
    for metric, (lo, hi) in ci["system_minus_lead3"].items():
        assert lo <= ci["difference"][metric] <= hi
    # One run also reports its even (tuning) and odd (held-out) records apart.
    assert result["even"]["n"] == 2 and result["odd"]["n"] == 1


def test_text_report_and_limit(tmp_path):
    data = tmp_path / "tiny.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in RECORDS), encoding="utf-8")
    proc = run(str(data), "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    assert "n = 2" in proc.stdout
    assert "odd half (held out" in proc.stdout and "system - lead3" in proc.stdout
    assert any(line.startswith("system") for line in proc.stdout.splitlines())
    assert any(line.startswith("lead3") for line in proc.stdout.splitlines())


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ('{"id": "x", "article": "Text."}\n', "needs string fields 'article' and 'reference'"),
    ("not json\n", "not JSON"),
])
def test_bad_dataset_is_one_clear_line(tmp_path, content, message):
    data = tmp_path / "bad.jsonl"
    if content is not None:
        data.write_text(content, encoding="utf-8")
    proc = run(str(data), "--json")
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(*[st.floats(0, 100)] * 3), min_size=1, max_size=40))
def test_bootstrap_interval_lies_within_the_data(rows):
    data = np.array(rows)
    ci = bootstrap_ci(data, resamples=200)
    for (lo, hi), lowest, highest in zip(ci, data.min(axis=0), data.max(axis=0)):
        assert lowest - 1e-9 <= lo <= hi <= highest + 1e-9


def test_a_steady_gain_has_a_tight_interval_and_noise_a_wide_one():
    rng = np.random.default_rng(1)
    steady = np.full((125, 3), 0.5)
    noisy = rng.normal(0.5, 10.0, size=(125, 3))
    assert np.allclose(bootstrap_ci(steady), 0.5)
    lo, hi = bootstrap_ci(noisy)[0]
    assert lo < 0.5 < hi and hi - lo > 2  # +0.5 on 125 noisy articles is not a sure gain


def test_first_twenty_cnndm_articles():
    data = EVAL / "cnndm_test_frank250.jsonl"
    if not data.is_file():
        pytest.skip(f"{data} not present (evaluation data is never copied into the repository)")
    proc = run(str(data), "--limit", "20", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    check_shape(result, 20)
    # Lead-3 on real news is a strong baseline; our system must land in the same range.
    assert result["lead3"]["rouge1"] > 30
    assert result["system"]["rouge1"] > 30
