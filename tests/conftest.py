"""Shared fixtures: real SQLite files, real models loaded once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
#: Evaluation data lives beside the repository and is never copied into it.
EVAL = ROOT.parent / "shared" / "eval"


def make_settings(db_path: Path, **overrides):
    from bot.config import Settings

    return Settings.load(env={}, dotenv=None, db_path=db_path, **overrides)


@pytest.fixture(scope="session")
def encoder():
    from summarizer.embeddings import Encoder

    return Encoder()


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "briefbot.db")


def _services_for(db_path: Path, encoder):
    from bot.index.store import Index
    from bot.registry import load_commands
    from bot.services import Services
    from summarizer import make_summarizer

    settings = make_settings(db_path)
    index = Index(db_path, settings, encoder=encoder)
    return Services(settings=settings, index=index,
                    summarizer=make_summarizer(settings, encoder), registry=load_commands())


@pytest.fixture
def services(tmp_path, encoder):
    """Real commands over an empty index in a fresh SQLite file."""
    svc = _services_for(tmp_path / "briefbot.db", encoder)
    yield svc
    svc.index.close()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory, encoder) -> Path:
    """A SQLite file with the seed pages ingested once per session; copy it to change it."""
    from bot.index.store import Index
    from bot.ingest.pipeline import run_ingest

    path = tmp_path_factory.mktemp("seeded") / "seeds.db"
    index = Index(path, make_settings(path), encoder=encoder)
    cwd = os.getcwd()
    os.chdir(ROOT)  # origins read "seeds/000_….txt#2", as a user typing the path sees them
    try:
        report = run_ingest(["seeds"], index, progress=False)
    finally:
        os.chdir(cwd)
    assert report.stored > 5, report.as_json()
    index.close()
    return path


@pytest.fixture
def seeded_services(seeded_db, tmp_path, encoder):
    """Real commands over a private copy of the seeded database."""
    path = tmp_path / "seeded.db"
    shutil.copy(seeded_db, path)
    svc = _services_for(path, encoder)
    yield svc
    svc.index.close()
