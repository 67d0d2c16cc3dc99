"""The first hour: every command the README shows works when typed as written, in order.

The README's fenced `sh` blocks are read and run top to bottom in a fresh folder holding
the seeds, as a new user would after the quick start. Skipped, by rule not by line:
placeholders (example.org, HOST), setting up the venv, running the tests or the
benchmarks (by hand, minutes, evaluation data), and `serve` (runs until stopped, needs
tokens), with the `.env` copy that prepares it.
"""

from __future__ import annotations

import re
import shlex

import pytest

from bot.cli import main
from conftest import ROOT

_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
_SKIP = (
    (re.compile(r"example\.org|\bHOST\b|APPLICATION_ID"), "placeholder"),
    (re.compile(r"python3 -m venv|pip install"), "installs the venv"),
    (re.compile(r"-m pytest"), "runs the tests"),
    (re.compile(r"\bbench/"), "benchmark, run by hand"),
    (re.compile(r"\bserve\b|\bweb\b|\.env\.example"), "serves until stopped"),
)


def readme_commands() -> list[tuple[str, str | None]]:
    """(command, reason it is skipped or None) for each command of each sh block, in order."""
    out = []
    for block in _BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8")):
        for line in block.splitlines():
            for command in line.split("&&"):
                command = " ".join(shlex.split(command, comments=True))
                if command:
                    reason = next((why for rx, why in _SKIP if rx.search(command)), None)
                    out.append((command, reason))
    return out


def test_the_readme_uses_the_venv_and_one_database_throughout():
    commands = readme_commands()
    briefbot = [c for c, _ in commands if "briefbot" in c.split(" ")[0]]
    assert len(briefbot) >= 10
    for command in briefbot:
        assert command.startswith(".venv/bin/briefbot "), command
        assert command.startswith(".venv/bin/briefbot --db briefbot.db ") or command.endswith(" --help"), command
    assert [c for c, why in commands if why is None][0].endswith("ingest seeds")  # the quick start


def test_every_readme_command_exits_0_in_order(tmp_path, monkeypatch, capsys):
    (tmp_path / "seeds").symlink_to(ROOT / "seeds", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    ran = 0
    for command, skipped in readme_commands():
        if skipped:
            continue
        argv = shlex.split(command)
        assert argv[0] == ".venv/bin/briefbot", command
        try:
            code = main(argv[1:])
        except SystemExit as done:  # --help
            code = done.code
        out = capsys.readouterr().out
        assert code == 0, command
        assert out.strip(), command
        assert "ingest some articles first" not in out.lower(), command
        ran += 1
    assert ran >= 10


@pytest.mark.parametrize("command, reason", [
    (".venv/bin/briefbot --db briefbot.db feeds add https://example.org/rss.xml", "placeholder"),
    (".venv/bin/briefbot --db briefbot.db serve discord", "serves until stopped"),
    (".venv/bin/briefbot --db briefbot.db web", "serves until stopped"),
])
def test_only_placeholders_and_servers_are_skipped(command, reason):
    assert (command, reason) in readme_commands()
