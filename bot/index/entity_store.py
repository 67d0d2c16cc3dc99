"""Entities across articles: matching a mention to a stored entity, merging, naming.

A full name matches a stored entity by its key (accents, case and
transliteration folded: Zelenskyy = Zelensky) or by surname with a compatible
first name (Steve ~ Steven). A bare surname the article never expanded goes to
the most-mentioned person with that surname. When a full name finally appears,
entities known only by that surname are absorbed into it, so the order in
which articles arrive does not matter.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

from bot.index.aboutness import AboutKind, refresh_articles
from bot.index.entities import clean_person, name_key, name_skeleton, surname_key
from bot.index.gazetteer import gazetteer
from bot.index.text import fold, phrase_key, word_key

Conn = sqlite3.Connection


def alias_key(name: str, label: str) -> str:
    return name_key(name) if label == "PERSON" else phrase_key(name)


def _most_mentioned(conn: Conn, ids: Iterable[int]) -> int | None:
    ids = list(dict.fromkeys(ids))
    if not ids:
        return None
    if len(ids) == 1:
        return ids[0]
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT e.id, (SELECT COUNT(*) FROM mentions m WHERE m.entity_id = e.id) AS n "
        f"FROM entities e WHERE e.id IN ({marks}) ORDER BY n DESC, e.id", ids).fetchall()
    return rows[0][0] if rows else None


def _persons_by_alias(conn: Conn, key: str) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT a.entity_id FROM entity_aliases a JOIN entities e ON e.id = a.entity_id "
        "WHERE a.key = ? AND e.type = 'PERSON'", [key])]


def _first_names_compatible(a: str, b: str) -> bool:
    """Steve ~ Steven, Vlad ~ Vladimir: one first-name key is a prefix of the other."""
    a, b = word_key(a), word_key(b)
    return len(min(a, b, key=len)) >= 3 and (a.startswith(b) or b.startswith(a))


def find_person(conn: Conn, name: str) -> int | None:
    """The stored person `name` (full or bare surname) refers to, if any."""
    key = name_key(name)
    if not key:
        return None
    found = _most_mentioned(conn, _persons_by_alias(conn, key))
    if found:
        return found
    surname = key.split()[-1]
    same_surname = [r[0] for r in conn.execute(
        "SELECT id FROM entities WHERE type = 'PERSON' AND surname = ?", [surname])]
    if " " not in key:
        return _most_mentioned(conn, same_surname)
    first = key.split()[0]
    for eid in same_surname:
        full_forms = [r[0] for r in conn.execute(
            "SELECT key FROM entity_aliases WHERE entity_id = ? AND key LIKE '% %'", [eid])]
        if any(_first_names_compatible(first, f.split()[0]) for f in full_forms):
            return eid
    skel = name_skeleton(name)
    if skel:  # transliterations: Moammar Gadhafi = Muammar Gaddafi
        return _most_mentioned(conn, [r[0] for r in conn.execute(
            "SELECT id FROM entities WHERE type = 'PERSON' AND skeleton = ?", [skel])])
    return None


def person_entity(conn: Conn, name: str) -> int:
    """Find or create the person `name` (already in-article resolved)."""
    found = find_person(conn, name)
    key = name_key(name)
    if found:
        return found
    eid = conn.execute("INSERT INTO entities(name, type, key, surname, skeleton) "
                       "VALUES (?, 'PERSON', ?, ?, ?)",
                       [name, key, key.split()[-1], name_skeleton(name) or None]).lastrowid
    assert eid is not None
    if " " in key:
        _absorb_surname_only(conn, eid, key.split()[-1])
    return eid


def _absorb_surname_only(conn: Conn, keep: int, surname: str) -> None:
    """Entities known only by this surname were this person all along: merge them in."""
    rows = conn.execute(
        "SELECT e.id FROM entities e WHERE e.id != ? AND e.key = ? "
        "AND e.type NOT IN ('GPE', 'LOC', 'FAC') AND NOT EXISTS ("
        "SELECT 1 FROM entity_aliases a WHERE a.entity_id = e.id AND a.key LIKE '% %')",
        [keep, surname]).fetchall()
    for (drop,) in rows:
        merge(conn, keep, drop)


def merge(conn: Conn, keep: int, drop: int) -> None:
    """Move everything of entity `drop` onto `keep` and delete `drop`."""
    touched = [r[0] for r in conn.execute(
        "SELECT DISTINCT article_id FROM mentions WHERE entity_id = ?", [drop])]
    conn.execute("UPDATE mentions SET entity_id = ? WHERE entity_id = ?", [keep, drop])
    for table, col in (("entity_aliases", "alias"), ("entity_labels", "label"),
                       ("entity_roles", "role")):
        extra = ", key" if table == "entity_aliases" else ""
        conn.execute(
            f"INSERT INTO {table}(entity_id, {col}{extra}, count) "
            f"SELECT ?, {col}{extra}, count FROM {table} WHERE entity_id = ? "
            f"ON CONFLICT(entity_id, {col}) DO UPDATE SET count = {table}.count + excluded.count",
            [keep, drop])
        conn.execute(f"DELETE FROM {table} WHERE entity_id = ?", [drop])
    conn.execute("DELETE FROM aboutness WHERE kind = ? AND target_id = ?",
                 [str(AboutKind.ENTITY), drop])
    conn.execute("DELETE FROM entities WHERE id = ?", [drop])
    refresh_articles(conn, touched)  # what those articles are about changed hands


def other_entity(conn: Conn, name: str, label: str) -> int:
    """Find or create a non-person entity; a bare word that is a known person's alias
    or surname ("Trump" tagged ORG) goes to that person."""
    key = phrase_key(name)
    rows = [r[0] for r in conn.execute(
        "SELECT DISTINCT entity_id FROM entity_aliases WHERE key = ?", [key])]
    found = _most_mentioned(conn, rows)
    if found:
        return found
    if label != "GPE" and " " not in key:
        person = find_person(conn, name)
        if person:
            return person
    eid = conn.execute("INSERT INTO entities(name, type, key) VALUES (?, ?, ?)",
                       [name, label, key]).lastrowid
    assert eid is not None
    return eid


def record(conn: Conn, entity_id: int, alias: str, label: str, role: str | None) -> None:
    """Count one sighting of an alias, a label vote and a role phrase."""
    conn.execute("INSERT INTO entity_aliases(entity_id, alias, key, count) VALUES (?, ?, ?, 1) "
                 "ON CONFLICT(entity_id, alias) DO UPDATE SET count = entity_aliases.count + 1",
                 [entity_id, alias, alias_key(alias, label)])
    conn.execute("INSERT INTO entity_labels(entity_id, label, count) VALUES (?, ?, 1) "
                 "ON CONFLICT(entity_id, label) DO UPDATE SET count = entity_labels.count + 1",
                 [entity_id, label])
    if role:
        conn.execute("INSERT INTO entity_roles(entity_id, role, count) VALUES (?, ?, 1) "
                     "ON CONFLICT(entity_id, role) DO UPDATE SET count = entity_roles.count + 1",
                     [entity_id, role])


def refresh(conn: Conn, entity_id: int) -> None:
    """Recompute name and type: the most common full form, the majority label."""
    aliases = conn.execute("SELECT alias, count FROM entity_aliases WHERE entity_id = ? "
                           "ORDER BY count DESC, length(alias) DESC, alias", [entity_id]).fetchall()
    if not aliases:
        return
    labels = dict(conn.execute("SELECT label, count FROM entity_labels WHERE entity_id = ?",
                               [entity_id]).fetchall())
    etype = max(labels, key=lambda k: (labels[k], k == "PERSON")) if labels else "ORG"
    full = [a for a, _ in aliases if " " in a and not re.search(r"\b[A-Z]\.", a)]
    if labels.get("PERSON") and full and not gazetteer().lookup(full[0], venues=False):
        etype = "PERSON"
    name = (full or [a for a, _ in aliases])[0] if etype == "PERSON" else aliases[0][0]
    place = gazetteer().lookup(name, venues=False)
    if place:
        name, etype = place.name, "GPE"
    key = name_key(name) if etype == "PERSON" else phrase_key(name)
    person = etype == "PERSON" and bool(key)
    surname = key.split()[-1] if person else None
    skel = (name_skeleton(name) or None) if person else None
    conn.execute("UPDATE entities SET name = ?, type = ?, key = ?, surname = ?, skeleton = ? "
                 "WHERE id = ?", [name, etype, key, surname, skel, entity_id])


def lookup(conn: Conn, text: str) -> int | None:
    """The entity a user means by `text`: any alias, with titles, possessives, case and
    accents ignored; a bare surname finds the person ("Witkoff" -> Steve Witkoff)."""
    text = text.strip()
    if not text:
        return None
    place = gazetteer().lookup(text, venues=False)
    if place:
        keys = [phrase_key(place.name)]
    else:
        cleaned_name = clean_person(text)
        keys = [phrase_key(text), name_key(text)]
        if cleaned_name:
            keys += [phrase_key(cleaned_name[0]), name_key(cleaned_name[0])]
    marks = ",".join("?" * len(keys))
    rows = [r[0] for r in conn.execute(
        f"SELECT DISTINCT entity_id FROM entity_aliases WHERE key IN ({marks})", keys)]
    found = _most_mentioned(conn, rows)
    if found:
        return found
    cleaned = clean_person(text)
    if cleaned:
        found = find_person(conn, cleaned[0])
        if found:
            return found
    rows = [r[0] for r in conn.execute("SELECT id FROM entities WHERE key = ?", [fold(text)])]
    return _most_mentioned(conn, rows)


def surname_of(name: str) -> str:
    return surname_key(name)
