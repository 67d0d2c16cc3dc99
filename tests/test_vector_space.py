"""An index remembers which encoder made its vectors; opening it with another is refused.

Vectors of different models cannot be compared: a MiniLM index asked with the hashing
encoder would still answer, ranked by meaningless similarities. The user sees one line
naming both encoders instead, from the CLI as from the library, and nothing is written.
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from bot.cli import main
from bot.index.db import Fault, StorageError
from bot.index.store import Index
from summarizer.embeddings import Encoder, EncoderBackend, bundled_model_dir

STORY = ("Harbour bridge reopens\n\nThe Marlow harbour bridge reopened on Monday after two "
         "years of repairs. Mayor Jane Roe cut the ribbon. Traffic is expected to ease.\n")


def _ingest_with_hashing(tmp_path, capsys) -> str:
    page = tmp_path / "bridge.txt"
    page.write_text(STORY, encoding="utf-8")
    db = str(tmp_path / "briefbot.db")
    assert main(["--db", db, "ingest", str(page)]) == 0
    capsys.readouterr()
    return db


def test_the_cli_refuses_an_index_built_by_another_encoder(tmp_path, fast_env, monkeypatch,
                                                           capsys):
    db = _ingest_with_hashing(tmp_path, capsys)
    assert main(["--db", db, "ask", "latest on the harbour bridge"]) == 0
    assert "Marlow harbour bridge" in capsys.readouterr().out

    monkeypatch.setenv("BRIEFBOT_ENCODER", "auto")  # the bundled MiniLM
    assert main(["--db", db, "ask", "latest on the harbour bridge"]) == 1
    err = capsys.readouterr().err.strip()
    assert "hashing/384" in err and bundled_model_dir().name in err
    assert "cannot be compared" in err and "BRIEFBOT_ENCODER" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1

    page = tmp_path / "more.txt"
    page.write_text(STORY.replace("bridge", "tunnel"), encoding="utf-8")
    assert main(["--db", db, "ingest", str(page)]) == 1
    capsys.readouterr()
    with sqlite3.connect(db) as conn:  # the refused ingest wrote nothing
        assert conn.execute("SELECT COUNT(*) FROM articles").fetchone() == (1,)


def test_the_same_model_on_either_backend_or_copied_elsewhere_is_the_same_space(tmp_path):
    numpy_run = Encoder(backend=EncoderBackend.NUMPY)
    assert numpy_run.identity == Encoder(backend=EncoderBackend.TORCH).identity
    copy = tmp_path / bundled_model_dir().name
    shutil.copytree(bundled_model_dir(), copy)
    assert Encoder(copy).identity == numpy_run.identity
    config = copy / "config.json"
    config.write_text(config.read_text("utf-8").replace('"hidden_size": 384',
                                                        '"hidden_size": 768'), "utf-8")
    assert Encoder(copy).identity != numpy_run.identity
    assert Encoder(backend=EncoderBackend.HASHING).identity == "hashing/384"


def test_a_database_from_before_the_record_adopts_the_encoder_it_is_opened_with(
        tmp_path, fast_encoder, blank_nlp):
    path = tmp_path / "old.db"
    Index(path, encoder=fast_encoder, nlp=blank_nlp).close()
    with sqlite3.connect(path) as conn:  # as a database written before the record existed
        conn.execute("DROP TABLE vector_space")
        conn.execute("DELETE FROM schema_versions WHERE component = 'vector_space'")
    Index(path, encoder=fast_encoder, nlp=blank_nlp).close()
    with pytest.raises(StorageError) as refused:
        Index(path, encoder=Encoder(), nlp=blank_nlp)
    assert refused.value.fault is Fault.ENCODER
    assert str(refused.value).startswith(f"{path} holds sentence vectors made by the encoder "
                                         "hashing/384")


def test_either_backend_refuses_another_encoder(database, fast_encoder, blank_nlp):
    Index(database, encoder=fast_encoder, nlp=blank_nlp).close()
    Index(database, encoder=fast_encoder, nlp=blank_nlp).close()  # the same one is welcome
    with pytest.raises(StorageError) as refused:
        Index(database, encoder=Encoder(), nlp=blank_nlp)
    assert refused.value.fault is Fault.ENCODER and "hashing/384" in str(refused.value)
    assert str(refused.value).startswith(f"{database} holds sentence vectors")
