"""The database never lies or loses: racing first opens, full disks, read-only files, and
files that are not briefbot's. Real SQLite files, real processes, a real full file system."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.index import schema, vector_space
from bot.index.db import APPLICATION_ID, Fault, StorageError, connect
from bot.ingest.model import Article
from bot.ingest.pipeline import IngestReport, run_ingest

ROOT = Path(__file__).resolve().parent.parent

CITIES = ["Kyiv", "Warsaw", "Geneva", "Ankara", "Nairobi", "Lima", "Oslo", "Hanoi", "Quito",
          "Accra", "Dhaka", "Riga", "Tunis", "Manila", "Bogota", "Vilnius", "Doha", "Lusaka"]
TOPICS = ["a water treaty", "grain exports", "a rail link", "fishing quotas", "vaccine supplies",
          "a border crossing", "wind farms", "a copper mine", "school funding", "port tariffs"]
PEOPLE = ["Anna Kowalska", "Tomas Berg", "Leila Haddad", "Joseph Mensah", "Maria Quispe",
          "Nguyen Van Minh", "Ingrid Solberg", "Carlos Rueda", "Amina Diallo", "Rahim Chowdhury"]


def story(i: int) -> dict[str, str]:
    """A distinct, plausible article: no two share enough words to be near-duplicates."""
    city, topic, person = CITIES[i % len(CITIES)], TOPICS[i % len(TOPICS)], PEOPLE[i % len(PEOPLE)]
    other = CITIES[(i * 7 + 3) % len(CITIES)]
    return {
        "title": f"{city} talks on {topic} ({i})",
        "text": (f"Officials from {city} and {other} met on day {i} to discuss {topic}, "
                 f"minister {person} said. The delegation of {i + 12} members reviewed "
                 f"proposal number {i * 37 + 5} in a session lasting {i % 9 + 2} hours. "
                 f"{person} told reporters that {topic} would be settled before month {i % 12 + 1}. "
                 f"Critics in {other} called the plan number {i * 13 + 1} rushed and costly. "
                 f"A vote on item {i * 101 + 7} is expected in {city} next week."),
        "publisher": f"Wire {i % 5}",
        "published": f"2025-10-{i % 28 + 1:02d}T09:00:00Z",
    }


def write_jsonl(path: Path, numbers: range) -> Path:
    path.write_text("".join(json.dumps(story(i)) + "\n" for i in numbers))
    return path


def articles(numbers: range) -> list[Article]:
    return [Article(s["title"], s["text"], publisher=s["publisher"], origin=f"t.jsonl:{i}",
                    published=datetime(2025, 10, i % 28 + 1, 9, tzinfo=timezone.utc))
            for i, s in ((i, story(i)) for i in numbers)]


def count(path: Path, table: str = "articles") -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_error_line(err: str) -> str:
    assert err.startswith("briefbot: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


# --- several processes opening a new file at once ------------------------------------------

_OPENER = r"""
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from bot.digests.store import DigestStore, Subscription
from bot.feeds.store import FeedStore
from bot.index.store import Index

db, go, me = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
while not go.exists():
    time.sleep(0.001)
Index(db).close()
store = DigestStore(db)
FeedStore.open(db).close()
store.save_subscription(Subscription("slack", me, "08:00", "UTC"), datetime.now(UTC))
print("opened")
"""


def test_processes_racing_to_create_a_database_all_open_it_with_one_schema(tmp_path):
    from bot.digests.store import STEPS as DIGEST_STEPS
    from bot.feeds.store import STEPS as FEED_STEPS

    for round_ in range(3):
        db, go = tmp_path / f"race{round_}.db", tmp_path / f"go{round_}"
        children = [subprocess.Popen([sys.executable, "-c", _OPENER, str(db), str(go), f"C{n}"],
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True) for n in range(4)]
        time.sleep(0.5)  # let them all import, then start them together
        go.touch()
        for child in children:
            out, err = child.communicate(timeout=120)
            assert (child.returncode, out.strip()) == (0, "opened"), (round_, out, err[-2000:])
        with sqlite3.connect(db) as conn:
            versions = dict(conn.execute("SELECT component, version FROM schema_versions"))
            assert versions == {"index": len(schema.STEPS), "digests": len(DIGEST_STEPS),
                                "feeds": len(FEED_STEPS),
                                "vector_space": len(vector_space.STEPS)}
            assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
            assert sorted(r[0] for r in conn.execute("SELECT channel_id FROM digest_subscriptions")) \
                == ["C0", "C1", "C2", "C3"]


def test_two_ingests_racing_a_new_database_store_every_article(tmp_path, fast_env):
    db = tmp_path / "new.db"
    inputs = [write_jsonl(tmp_path / "a.jsonl", range(0, 3)),
              write_jsonl(tmp_path / "b.jsonl", range(3, 6))]
    children = [subprocess.Popen([sys.executable, "-m", "bot.cli", "--db", str(db), "ingest",
                                  "--json", str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for path in inputs]
    reports = []
    for child in children:
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err[-500:]
        reports.append(json.loads(out))
    assert [r["stored"] for r in reports] == [3, 3]
    assert count(db) == 6


# --- a full disk ----------------------------------------------------------------------------

@pytest.fixture
def index(tmp_path, fast_encoder, blank_nlp):
    """The fast pair: a full disk is about bytes and counts, not what the models find."""
    from bot.index.store import Index

    ix = Index(tmp_path / "full.db", encoder=fast_encoder, nlp=blank_nlp)
    yield ix
    ix.close()


def _cap_pages(ix, articles_worth: int) -> None:
    """Let the file grow by about `articles_worth` articles, then SQLITE_FULL (as a disk would)."""
    before = ix.conn.execute("PRAGMA page_count").fetchone()[0]
    ix.add_many(articles(range(100, 102)))
    after = ix.conn.execute("PRAGMA page_count").fetchone()[0]
    per_article = max(1, (after - before) // 2)
    ix.conn.execute(f"PRAGMA max_page_count = {after + per_article * articles_worth}")


def test_a_full_disk_names_the_cause_and_what_got_in_before_it(index):
    _cap_pages(index, 3)
    batch = articles(range(20))
    with pytest.raises(StorageError) as caught:
        index.add_many(batch)
    fault = caught.value
    assert fault.fault is Fault.FULL
    assert "disk is full" in str(fault) and str(index.path) in str(fault)
    assert "rollback" not in str(fault).lower() and "\n" not in str(fault)
    done = fault.completed
    assert 0 < len(done) < len(batch) and {r.status for r in done} == {"stored"}
    assert index.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 2 + len(done)
    # the article that hit the wall left nothing behind and stores whole once there is room
    failed = batch[len(done)]
    assert index.conn.execute("SELECT COUNT(*) FROM articles WHERE title = ?",
                              [failed.title]).fetchone()[0] == 0
    index.conn.execute("PRAGMA max_page_count = 1073741823")
    assert index.add(failed).status == "stored"
    assert index.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_ingest_stops_at_a_full_disk_with_exact_counts(index, tmp_path):
    _cap_pages(index, 4)
    report = IngestReport()
    with pytest.raises(StorageError, match="disk is full"):
        run_ingest([write_jsonl(tmp_path / "many.jsonl", range(30))], index, progress=False,
                   report=report)
    stored = index.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] - 2
    assert 0 < report.stored == stored < 30
    assert report.duplicates == 0 and report.rejected == []


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[Path]:
    """A real 16 MiB file system (tmpfs), unmounted afterwards; root only."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small file system needs root")
    where = tmp_path / "disk"
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler = disk / "filler"
    with open(filler, "wb") as out:
        out.write(b"\0" * max(0, free - leave))
    return filler


def test_cli_ingest_on_a_full_disk_exits_nonzero_and_loses_nothing(tiny_disk, tmp_path, capsys,
                                                                   fast_env):
    TOTAL = 24  # noqa: N806 - articles in all; some fit in the space left (each adds ~130 KB of WAL)
    db = tiny_disk / "briefbot.db"
    assert main(["--db", str(db), "ingest", "--json",
                 str(write_jsonl(tmp_path / "first.jsonl", range(2)))]) == 0
    capsys.readouterr()
    filler = _fill(tiny_disk, leave=1024 * 1024)
    many = write_jsonl(tmp_path / "many.jsonl", range(2, TOTAL))
    assert main(["--db", str(db), "ingest", "--json", str(many)]) == 1
    out, err = capsys.readouterr()
    one_error_line(err)
    assert "disk is full" in err and str(db) in err and "rollback" not in err.lower()
    report = json.loads(out)
    stored_now = count(db) - 2
    assert report["stored"] == stored_now and report["duplicates"] == 0 and 0 < stored_now < TOTAL - 2
    # room again: the same input stores the rest, and what got in before is a duplicate
    filler.unlink()
    code = main(["--db", str(db), "ingest", "--json", str(many)])
    out, err = capsys.readouterr()
    assert code == 0, err
    again = json.loads(out)
    assert (again["stored"], again["duplicates"]) == (TOTAL - 2 - stored_now, stored_now)
    assert count(db) == TOTAL


# --- read-only files --------------------------------------------------------------------------

@pytest.fixture
def seeded_copy(seeded_db, tmp_path) -> Iterator[Path]:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "seeds.db"
    shutil.copy(seeded_db, path)
    from bot.digests.store import DigestStore
    from bot.feeds.store import FeedStore

    DigestStore(path).close()  # every component's tables, so writes reach SQLite itself
    FeedStore.open(path).close()
    yield path
    for p in (folder, *folder.iterdir()):
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database_answers_and_refuses_writes_in_one_line(seeded_copy, what, capsys):
    seeded_copy.chmod(0o444) if what == "file" else seeded_copy.parent.chmod(0o555)
    before = digest(seeded_copy)
    assert main(["--db", str(seeded_copy), "ask", "who is Steve Witkoff"]) == 0
    assert capsys.readouterr().out.startswith("Who is Steve Witkoff")
    assert main(["--db", str(seeded_copy), "entities", "--json"]) == 0
    assert any(i["name"] == "Volodymyr Zelensky" for i in json.loads(capsys.readouterr().out))
    for write in (["ingest", str(ROOT / "seeds")], ["subscribe", "slack", "C1", "08:00"]):
        assert main(["--db", str(seeded_copy), *write]) == 1
        err = one_error_line(capsys.readouterr().err)
        assert "database is read-only" in err and str(seeded_copy) in err
    assert digest(seeded_copy) == before


async def test_a_chat_command_that_writes_to_a_read_only_database_is_told_why(seeded_copy):
    from bot.core import ReplyKind
    from bot.services import build_services
    from tests.conftest import make_settings

    seeded_copy.chmod(0o444)
    services = build_services(make_settings(seeded_copy))
    try:
        request = services.registry.parse("subscribe 08:00 Europe/Kyiv", platform="slack",
                                          channel_id="C1", can_manage=True)
        reply = await services.registry.dispatch(request, services)
        assert reply.kind is ReplyKind.ERROR and "read-only" in reply.text
        assert "went wrong" not in reply.text
    finally:
        services.index.close()


def test_a_database_on_a_read_only_file_system_still_answers(seeded_db, tiny_disk, capsys):
    path = tiny_disk / "seeds.db"
    shutil.copy(seeded_db, path)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    assert main(["--db", str(path), "ask", "latest on Budapest summit"]) == 0
    assert "[1]" in capsys.readouterr().out
    assert main(["--db", str(path), "subscribe", "slack", "C1", "08:00"]) == 1
    assert "read-only" in one_error_line(capsys.readouterr().err)


def test_a_read_only_database_with_an_old_schema_is_refused_in_one_line(tmp_path, capsys):
    path = tmp_path / "old.db"
    _old_briefbot_db(path, steps=2)
    path.chmod(0o444)
    try:
        assert main(["--db", str(path), "ask", "latest on Kyiv"]) == 1
        err = one_error_line(capsys.readouterr().err)
        assert str(path) in err and "read-only" in err and "write access" in err
    finally:
        path.chmod(0o644)


# --- whose file is it -------------------------------------------------------------------------

def _old_briefbot_db(path: Path, steps: int) -> None:
    """A database as briefbot wrote it before application_id: steps applied, versions recorded."""
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    for step in schema.STEPS[:steps]:
        step(db)
    db.execute("INSERT INTO schema_versions VALUES ('index', ?)", [steps])
    db.execute("INSERT INTO articles(title, text, origin, date_source, added_at, content_hash) "
               "VALUES ('Kept', 'Kept through the upgrade.', 'x.txt', 'unknown', '2025-10-01', 'h')")
    db.conn.commit()
    db.close()


@pytest.mark.parametrize("steps", [2, len(schema.STEPS)])
def test_an_older_briefbot_database_is_marked_and_upgraded(tmp_path, steps):
    path = tmp_path / "old.db"
    _old_briefbot_db(path, steps)
    db = connect(path)
    from bot.index.db import migrate

    assert migrate(db, schema.COMPONENT, schema.STEPS) == len(schema.STEPS)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("SELECT title FROM articles").fetchall() == [("Kept",)]
    assert "place_mentions" in db.table_names()
    db.close()


def _foreign(path: Path, application_id: int = 0) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA application_id = {application_id}")
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes(body) VALUES ('mine')")
    conn.close()


@pytest.mark.parametrize("application_id, says", [
    (0x4D504246, "not a briefbot database: it belongs to another program (SQLite "
                 "application_id 0x4d504246)"),
    (0, "not a briefbot database: it holds another program's tables (notes)"),
])
def test_another_programs_sqlite_file_is_refused_untouched(tmp_path, capsys, application_id, says):
    path = tmp_path / "theirs.sqlite"
    _foreign(path, application_id)
    before = digest(path)
    for argv in (["ask", "latest on Kyiv"], ["ingest", str(ROOT / "seeds")],
                 ["subscribe", "slack", "C1", "08:00"], ["feeds", "list"]):
        assert main(["--db", str(path), *argv]) == 1
        err = one_error_line(capsys.readouterr().err)
        assert says in err and str(path) in err
    assert digest(path) == before and not Path(f"{path}-wal").exists()


def test_a_database_from_a_newer_briefbot_is_refused(tmp_path, capsys):
    path = tmp_path / "newer.db"
    from bot.index.store import Index

    Index(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_versions SET version = version + 5 WHERE component = 'index'")
    conn.close()
    assert main(["--db", str(path), "ask", "latest on Kyiv"]) == 1
    assert "newer briefbot" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("argv, says", [
    (["--db", ""], "--db ''"),
    (["--db", "   "], "--db ''"),
])
def test_an_empty_db_path_is_refused(argv, says, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # the default database must stay untouched
    assert main([*argv, "ask", "latest on Kyiv"]) == 1
    assert says in one_error_line(capsys.readouterr().err)
    assert not list(tmp_path.rglob("*.db"))


def test_a_folder_or_a_text_file_is_named_in_the_error(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 200)
    for path, says in ((tmp_path, "is a folder"), (notes, "is not a SQLite database")):
        assert main(["--db", str(path), "entities"]) == 1
        err = one_error_line(capsys.readouterr().err)
        assert says in err and str(path) in err


# --- property: whatever path is given, a database or one line naming the problem ------------

_NAMES = st.one_of(st.text(max_size=300),
                   st.text(alphabet="ab./\\:?#%&= \0\n~", max_size=30),
                   st.sampled_from(["", " ", ".", "..", "/", "~", "a/../b", "x" * 300,
                                    "file:x.db?mode=ro", "notes.txt/inner.db"]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAMES)
def test_any_path_opens_or_is_refused_in_one_line(tmp_path, name):
    (tmp_path / "notes.txt").write_text("not a database")
    # every part of the name, but always inside tmp_path
    inside = [part for part in name.split("/") if part not in ("", ".", "..")]
    path = tmp_path.joinpath(*inside) if inside else name
    try:
        db = connect(path)
    except StorageError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert db.execute("PRAGMA application_id").fetchone()[0] in (0, APPLICATION_ID)
        db.close()
