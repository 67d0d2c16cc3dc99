"""Who is speaking in a sentence: "X said", "said X", "according to X", "X told/wrote/tweeted",
and a quote followed by "he said" right after a sentence naming X.

Worked out once per article at ingest (and by a backfill for older databases), from the
sentences and the person mentions the index already holds, and stored as rows of
`speeches` (sentence, mention of the speaker, cue). "What did X say" then reads X's own
statements with one query instead of parsing every sentence per question.

A speech row points at the speaker's *mention*, not at the entity, so that when two
entities are merged later (a surname-only person absorbed by a full name) the statements
follow the mentions to the surviving entity.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import sqlite_utils


log = logging.getLogger(__name__)

#: A backfill of a large archive logs its progress this often (articles).
BACKFILL_REPORT_EVERY = 1000


class Cue(StrEnum):
    """How a sentence gives its speaker away."""

    NAME_VERB = "name_verb"          # "Zelensky said", "Zelensky, the president, told..."
    VERB_NAME = "verb_name"          # '..., said Zelensky.'
    ACCORDING_TO = "according_to"    # "according to Zelensky"
    QUOTE_FOLLOWS = "quote_follows"  # '"...," he said.' after a sentence naming him


#: Verbs of saying, as news copy uses them beside a speaker's name.
_VERBS = (r"(?:said|says|say|told|tells|added|adds|stated|states|wrote|writes|tweeted|posted|"
          r"announced|announces|declared|insisted|insists|warned|warns|argued|argues|claimed|"
          r"claims|noted|notes|explained|urged|urges|asked|replied|responded|stressed|"
          r"acknowledged|emphasi[sz]ed|suggested|remarked|admitted|vowed|promised|predicted|"
          r"conceded|continued|complained|recalled|confirmed|denied|cautioned)")
#: Between a name and its verb: an apposition in commas, or an auxiliary/adverb.
_BETWEEN = r"(?:\s*,[^,\"“”]{1,80},)?\s+(?:(?:has|had|have|also|later|then|again|previously|" \
           r"once|publicly|reportedly|repeatedly|recently|on\s+\w+)\s+)*"
_PRONOUN_TAG = re.compile(rf"\b(?:he|she)\s+(?:also\s+|later\s+)?{_VERBS}\b", re.IGNORECASE)
_QUOTE = re.compile(r"[\"“”«»]|(?:^|\s)['‘]")


@dataclass(frozen=True, slots=True)
class NamedMention:
    """A possible speaker named in an article (a person, or an organisation or country:
    "the Kremlin said", "Ukraine says"): which sentence, how it was written, its row id."""

    mention_id: int
    sentence: int
    surface: str
    #: Only a person is "he" or "she" in the quote after.
    person: bool = True


def find_speeches(sentences: Sequence[str],
                  people: Sequence[NamedMention]) -> list[tuple[int, int, Cue]]:
    """(sentence index, mention id of the speaker, cue) for every attributed sentence."""
    by_sentence: dict[int, list[NamedMention]] = {}
    for p in people:
        by_sentence.setdefault(p.sentence, []).append(p)
    found: list[tuple[int, int, Cue]] = []
    last_speaker: dict[int, NamedMention] = {}  # sentence index -> who spoke (or was named)
    for i, text in enumerate(sentences):
        named = by_sentence.get(i, [])
        here = [(p, cue) for p in named if (cue := speaker_cue(text, p.surface)) is not None]
        for p, cue in here:
            found.append((i, p.mention_id, cue))
        people_here = [p for p in named if p.person]
        speaking = [p for p, _ in here if p.person]
        if speaking:
            last_speaker[i] = speaking[0]
        elif len({p.surface for p in people_here}) == 1:
            last_speaker[i] = people_here[0]
        # '"We will not give up," he said.' continues the person of the sentence before
        if not named and i - 1 in last_speaker and _QUOTE.search(text) and _PRONOUN_TAG.search(text):
            speaker = last_speaker[i - 1]
            found.append((i, speaker.mention_id, Cue.QUOTE_FOLLOWS))
            last_speaker[i] = speaker
    return found


def speaker_cue(text: str, surface: str) -> Cue | None:
    """How `text` makes the person written `surface` its speaker, or None if it does not.

    The patterns around the name are compiled once; only where the name stands is looked
    up per call (compiling them with each name inside cost tens of ms per new name)."""
    # every cue needs a verb of saying or "according to": most sentences have neither
    if not surface or not _ANY_CUE.search(text):
        return None
    spots = _occurrences(surface, ignore_case=False).finditer(text)
    places = [(m.start(), m.start() + len(surface)) for m in spots]
    if any(_EDGE_LEFT.match(text, a) and _NAME_THEN_VERB.match(text, b) for a, b in places):
        return Cue.NAME_VERB
    # '"...," said Ukraine's president, Volodymyr Zelensky.' - a speech tag after a quote or clause
    if any(_VERB_THEN_NAME.search(text, 0, a) and _AFTER_SPOKEN_NAME.match(text, b)
           for a, b in places):
        return Cue.VERB_NAME
    spots = _occurrences(surface, ignore_case=True).finditer(text)
    if any(_ACCORDING_TO.search(text, 0, m.start())
           and _EDGE_RIGHT_ANY_CASE.match(text, m.start() + len(surface)) for m in spots):
        return Cue.ACCORDING_TO
    return None


_EDGE_L, _EDGE_R = r"(?<![\w'’-])", r"(?![\w-])(?!['’]s\b)"
_ANY_CUE = re.compile(rf"{_VERBS}\b|\baccording\s+to\s", re.IGNORECASE)
_EDGE_LEFT = re.compile(_EDGE_L)
#: "Zelensky said", "Zelensky, the president, told": what follows the name.
_NAME_THEN_VERB = re.compile(rf"{_EDGE_R}{_BETWEEN}{_VERBS}\b")
#: ', said Ukraine's president, ' right before the name (matched up to where it starts)...
_VERB_THEN_NAME = re.compile(rf"(?:^|[,\"“”’:;—–-])\s*{_VERBS}\s+(?:[\w.'’-]+,?\s+){{0,6}}?\Z")
#: ...and the end of the clause right after it.
_AFTER_SPOKEN_NAME = re.compile(
    rf"{_EDGE_R}\s*(?:[,.;:!?\"”)]|$|\s+(?:on|in|at|during|after|before|to|when|while|last|"
    r"this|yesterday|today)\b)")
_ACCORDING_TO = re.compile(r"\baccording\s+to\s+(?:[\w.'’-]+,?\s+){0,5}?\Z", re.IGNORECASE)
_EDGE_RIGHT_ANY_CASE = re.compile(_EDGE_R, re.IGNORECASE)


@lru_cache(maxsize=4096)
def _occurrences(surface: str, *, ignore_case: bool) -> re.Pattern[str]:
    """Every place `surface` starts, overlapping ones included (a literal: cheap to compile)."""
    return re.compile(f"(?={re.escape(surface)})", re.IGNORECASE if ignore_case else 0)


def record_article(conn: sqlite3.Connection, article_id: int) -> int:
    """Find and store who speaks in one stored article; returns the rows written.

    Runs inside the caller's transaction (ingest's, or a migration step's)."""
    sentences = conn.execute("SELECT id, text FROM sentences WHERE article_id = ? ORDER BY position",
                             [article_id]).fetchall()
    position = {sid: i for i, (sid, _) in enumerate(sentences)}
    people = [NamedMention(mid, position[sid], surface, kind == "PERSON")
              for mid, sid, surface, kind in conn.execute(
        "SELECT m.id, m.sentence_id, m.surface, e.type FROM mentions m "
        "JOIN entities e ON e.id = m.entity_id "
        "WHERE m.article_id = ? AND e.type IN ('PERSON', 'ORG', 'GPE') AND m.surface IS NOT NULL",
        [article_id])
        if sid in position]
    rows = [(sentences[i][0], mention_id, str(cue))
            for i, mention_id, cue in find_speeches([t for _, t in sentences], people)]
    conn.executemany("INSERT OR IGNORE INTO speeches(sentence_id, mention_id, cue) VALUES (?, ?, ?)",
                     rows)
    return len(rows)


def create_and_backfill(db: sqlite_utils.Database) -> None:
    """Migration step: the `speeches` table, filled for every article already stored."""
    db.table("speeches").create({"sentence_id": int, "mention_id": int, "cue": str},
                          pk=("sentence_id", "mention_id"),
                          foreign_keys=[("sentence_id", "sentences", "id"),
                                        ("mention_id", "mentions", "id")],
                          not_null={"cue"})
    db.table("speeches").create_index(["mention_id"])
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id").fetchall()]
    if ids:
        log.info("finding who speaks in %d stored articles (once, for this new version)", len(ids))
    for done, article_id in enumerate(ids, start=1):
        record_article(db.conn, article_id)
        if done % BACKFILL_REPORT_EVERY == 0:
            log.info("speakers: %d of %d articles", done, len(ids))


def statement_ids(conn: sqlite3.Connection, entity_id: int, article_ids: Sequence[int]) -> set[int]:
    """Sentences of these articles in which the entity (person, organisation, country) speaks."""
    if not article_ids:
        return set()
    marks = ",".join("?" * len(article_ids))
    return {r[0] for r in conn.execute(
        "SELECT DISTINCT s.sentence_id FROM speeches s JOIN mentions m ON m.id = s.mention_id "
        f"WHERE m.entity_id = ? AND m.article_id IN ({marks})", [entity_id, *article_ids])}
