"""bench/latest_quality.py on a tiny Timeline17-shaped dataset written here."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

BENCH = ROOT / "bench" / "latest_quality.py"

ARTICLES = [
    {"id": "h1", "topic": "haiti_test", "date": "2010-01-13",
     "article": "A powerful earthquake struck Haiti on Tuesday, flattening buildings in the capital. "
                "Thousands of people are feared dead in Port-au-Prince. "
                "Aid agencies said they were sending rescue teams and supplies."},
    {"id": "h2", "topic": "haiti_test", "date": "2010-01-14",
     "article": "Rescuers pulled survivors from the rubble of collapsed buildings in Port-au-Prince. "
                "The Red Cross estimated that three million people were affected by the earthquake. "
                "A football match was postponed in Europe because of snow."},
    {"id": "b1", "topic": "bpoil_test", "date": "2010-04-22",
     "article": "The Deepwater Horizon drilling rig sank in the Gulf of Mexico after an explosion. "
                "Eleven workers are missing and oil is leaking from the well. "
                "BP said it was working to stop the leak."},
]
TIMELINES = [
    {"id": "tl-haiti", "topic": "haiti_test", "reference": [
        {"date": "2010-01-14", "text": "Rescuers search the rubble of Port-au-Prince for survivors of the earthquake ."}]},
    {"id": "tl-bp", "topic": "bpoil_test", "reference": [
        {"date": "2010-04-22", "text": "The Deepwater Horizon rig sinks ; oil leaks from the well ."}]},
]


def write(tmp_path):
    data = tmp_path / "t17"
    data.mkdir()
    (data / "t17_articles.jsonl").write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    (data / "t17_timelines.jsonl").write_text("\n".join(json.dumps(t) for t in TIMELINES), encoding="utf-8")
    return data


def run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), "--data", str(write(tmp_path)),
                           "--cache", str(tmp_path / "cache"), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_scores_system_and_baselines_on_the_same_cases(tmp_path):
    proc = run(tmp_path, "--json", "--budget", "40")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["n"] == 2
    for name in ("system", "lead_newest", "cosine_only"):
        assert set(result[name]) == {"rouge1", "rouge2"}
        assert all(0 <= v <= 100 for v in result[name].values())
    assert result["system"]["rouge1"] > 10, "the answer overlaps the journalist's entry"


def test_unknown_override_is_one_clear_line(tmp_path):
    proc = run(tmp_path, "--set", "no_such_weight=1")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --set no_such_weight=1: no MMRParams field 'no_such_weight'"
