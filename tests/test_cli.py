"""The `briefbot` command line as a script or a person uses it."""

from __future__ import annotations

import json
import logging
import re
import shutil

import pytest

from bot.cli import main


@pytest.fixture
def db(seeded_db, tmp_path):
    path = tmp_path / "cli.db"
    shutil.copy(seeded_db, path)
    return str(path)


def test_ask_json_has_the_documented_shape(db, capsys):
    assert main(["--db", db, "ask", "latest on Budapest summit", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"text", "title", "sources"}
    assert out["sources"] and all(
        set(s) == {"n", "article_id", "title", "publisher", "published", "url", "origin"}
        for s in out["sources"])
    assert [s["n"] for s in out["sources"]] == list(range(1, len(out["sources"]) + 1))
    assert all(f"[{s['n']}]" in out["text"] for s in out["sources"])
    assert all(s["origin"].startswith("seeds/") for s in out["sources"])


def test_ask_prints_the_answer_then_its_sources(db, capsys):
    assert main(["--db", db, "ask", "who", "is", "Steve", "Witkoff"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Who is Steve Witkoff")
    assert "\nSources\n[1] " in out


def test_entities_json_lists_people_with_aliases(db, capsys):
    assert main(["--db", db, "entities", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert all(set(i) == {"name", "type", "aliases", "articles"} for i in items)
    zelensky = next(i for i in items if i["name"] == "Volodymyr Zelensky")
    assert zelensky["type"] == "PERSON" and "Zelenskyy" in zelensky["aliases"]
    assert any(i["type"] == "EVENT" and i["name"] == "Budapest summit" for i in items)


def test_ingest_reports_bad_input_one_line_each_and_goes_on(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text("Ukraine Talks Resume\n" + "Negotiators met in Geneva on Tuesday to resume "
                    "talks on a ceasefire in Ukraine, officials said. " * 3)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code = main(["--db", str(tmp_path / "x.db"), "ingest", "--json", str(good), str(empty),
                 str(tmp_path / "missing.txt")])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["stored"] == 1
    reasons = {r["path"].rsplit("/", 1)[-1]: r["reason"] for r in report["rejected"]}
    assert set(reasons) == {"empty.txt", "missing.txt"}
    assert "empty" in reasons["empty.txt"] and "no such" in reasons["missing.txt"].lower()


def test_errors_are_one_line_on_stderr_with_a_nonzero_exit(tmp_path, capsys):
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    assert main(["--db", str(broken), "ask", "latest on Budapest"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("briefbot: error:") and err.count("\n") == 1
    assert "Traceback" not in err


def test_help_is_there_for_every_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("ingest", "ask", "digest", "entities", "serve", "subscribe", "feeds"):
        assert command in out


def test_ask_json_carries_structured_sections_whose_refs_are_the_sources(db, capsys):
    assert main(["--db", db, "ask", "latest on Budapest summit", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "answer"
    numbers = {s["n"] for s in out["sources"]}
    claims = [c for s in out["sections"] for p in s["paragraphs"] for c in p]
    cited = [c for c in claims if c["refs"]]
    assert cited and all(set(c["refs"]) <= numbers for c in cited)
    assert {n for c in cited for n in c["refs"]} == numbers  # every source backs a claim
    # the text is the claims with their marks: nothing re-parsed, nothing lost
    for c in cited:
        assert f"{c['text']} {''.join(f'[{n}]' for n in c['refs'])}" in out["text"]


@pytest.mark.parametrize("as_json", [False, True])
def test_a_question_with_undecodable_bytes_gets_an_answer_in_valid_utf8(db, capsys, as_json):
    # what Python makes of `briefbot ask $'latest on Budapest \xff summit \u202e'` (surrogateescape)
    question = "latest on Budapest \udcff summit \u202e\x1b[31m"
    code = main(["--db", db, "ask", question] + (["--json"] if as_json else []))
    captured = capsys.readouterr()
    captured.out.encode("utf-8")  # no lone surrogate reaches stdout
    assert code in (0, 1) and "went wrong" not in captured.out and not captured.err
    assert "\udcff" not in captured.out and "\u202e" not in captured.out and "\x1b" not in captured.out
    text = json.loads(captured.out)["text"] if as_json else captured.out
    assert "Budapest" in text


def test_ask_text_keeps_each_sentence_with_its_marks_and_lists_sources(db, capsys):
    assert main(["--db", db, "ask", "timeline of the Alaska summit"]) == 0
    out = capsys.readouterr().out
    body, _, sources = out.partition("\nSources\n")
    assert re.search(r"\S \[\d+\](?:\[\d+\])*$", body.strip())  # the marks end a line, after words
    assert not re.search(r"^\[\d+\]", body, re.M)  # never wrapped onto a line of their own
    entries = re.findall(r"^\[(\d+)\] .+ — .+, .+$", sources, re.M)
    assert entries == [str(n) for n in range(1, len(entries) + 1)]


def test_sources_works_from_the_cli_as_help_shows_it(db, capsys):
    assert main(["--db", db, "sources", "Alaska", "summit"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Sources on Alaska summit") and "\nSources\n[1] " in out
    assert main(["--db", db, "sources", "Alaska summit", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "Showing 1 of 3; --limit N or --all." in out
    assert main(["--db", db, "sources", "Alaska summit", "--all", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed["sources"]) == 3 and "Showing" not in listed["text"]


def test_a_cut_entity_list_says_so(db, capsys):
    assert main(["--db", db, "entities", "--limit", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and re.fullmatch(r"showing 5 of \d+; --limit N or --all", lines[-1])
    assert main(["--db", db, "entities", "--all"]) == 0
    assert "showing" not in capsys.readouterr().out


def test_ask_verbose_and_serve_name_the_database_and_its_size(db, capsys, caplog):
    with caplog.at_level(logging.DEBUG, logger="briefbot"):  # what -v turns on
        assert main(["--db", db, "-v", "ask", "what did Zelensky say"]) == 0
    assert f"database {db}: 9 articles" in caplog.messages
    assert capsys.readouterr().out.startswith("What Volodymyr Zelensky said")
    # without a token serve cannot start, but it has said which database it would answer from
    assert main(["--db", db, "--env-file", "/nonexistent", "serve", "discord"]) == 1
    err = capsys.readouterr().err
    assert f"briefbot: serving discord from the database {db}: 9 articles" in err
    assert "DISCORD_TOKEN" in err
