"""Entities across articles: matching a mention to a stored entity, merging, naming.

A full name matches a stored entity by its key (accents, case and
transliteration folded: Zelenskyy = Zelensky) or by surname with a compatible
first name (Steve ~ Steven). A bare surname the article never expanded goes to
the most-mentioned person with that surname. When a full name finally appears,
entities known only by that surname are absorbed into it, so the order in
which articles arrive does not matter.

Owners (bot.workspaces): an article owned by W resolves its names only against entities
owned by the base corpus or W (`Scope.of(W)`), creates entities owned by W, and counts its
sightings of a base entity in W's own count rows; it never renames, merges or absorbs
another owner's entity. So W's articles cannot change what any other owner sees.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

from bot.index.aboutness import AboutKind, refresh_articles
from bot.index.entities import clean_person, name_key, name_skeleton, surname_key
from bot.index.gazetteer import gazetteer
from bot.index.text import fold, phrase_key, word_key
from bot.workspaces import Scope

Conn = sqlite3.Connection


def alias_key(name: str, label: str) -> str:
    return name_key(name) if label == "PERSON" else phrase_key(name)


def _most_mentioned(conn: Conn, ids: Iterable[int], scope: Scope) -> int | None:
    """The most mentioned of these entities within `scope` (every mention counted one
    alias sighting, so the owners' alias counts add up to their mentions)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return None
    if len(ids) == 1:
        return ids[0]
    marks = ",".join("?" * len(ids))
    in_a, owners = scope.sql("a.ws")
    rows = conn.execute(
        f"SELECT e.id, (SELECT COALESCE(SUM(a.count), 0) FROM entity_aliases a "
        f"WHERE a.entity_id = e.id AND {in_a}) AS n "
        f"FROM entities e WHERE e.id IN ({marks}) ORDER BY n DESC, e.id",
        [*owners, *ids]).fetchall()
    return rows[0][0] if rows else None


def _persons_by_alias(conn: Conn, key: str, scope: Scope) -> list[int]:
    in_a, owners = scope.sql("a.ws")
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT a.entity_id FROM entity_aliases a JOIN entities e ON e.id = a.entity_id "
        f"WHERE a.key = ? AND {in_a} AND e.type = 'PERSON' ORDER BY a.entity_id",
        [key, *owners])]


def _first_names_compatible(a: str, b: str) -> bool:
    """Steve ~ Steven, Vlad ~ Vladimir: one first-name key is a prefix of the other."""
    a, b = word_key(a), word_key(b)
    return len(min(a, b, key=len)) >= 3 and (a.startswith(b) or b.startswith(a))


def find_person(conn: Conn, name: str, scope: Scope | None = None) -> int | None:
    """The stored person `name` (full or bare surname) refers to, if any, in `scope`."""
    scope = scope or Scope.base()
    key = name_key(name)
    if not key:
        return None
    found = _most_mentioned(conn, _persons_by_alias(conn, key, scope), scope)
    if found:
        return found
    surname = key.split()[-1]
    in_e, owners = scope.sql("ws")
    same_surname = [r[0] for r in conn.execute(
        f"SELECT id FROM entities WHERE type = 'PERSON' AND surname = ? AND {in_e} ORDER BY id",
        [surname, *owners])]
    if " " not in key:
        return _most_mentioned(conn, same_surname, scope)
    first = key.split()[0]
    for eid in same_surname:
        full_forms = [r[0] for r in conn.execute(
            f"SELECT key FROM entity_aliases WHERE entity_id = ? AND {in_e} AND key LIKE '% %'",
            [eid, *owners])]
        if any(_first_names_compatible(first, f.split()[0]) for f in full_forms):
            return eid
    skel = name_skeleton(name)
    if skel:  # transliterations: Moammar Gadhafi = Muammar Gaddafi
        return _most_mentioned(conn, [r[0] for r in conn.execute(
            f"SELECT id FROM entities WHERE type = 'PERSON' AND skeleton = ? AND {in_e}",
            [skel, *owners])], scope)
    return None


def person_entity(conn: Conn, name: str, ws: str = "") -> int:
    """Find or create the person `name` (already in-article resolved) for owner `ws`."""
    found = find_person(conn, name, Scope.of(ws))
    key = name_key(name)
    if found:
        return found
    eid = conn.execute("INSERT INTO entities(name, type, key, surname, skeleton, ws) "
                       "VALUES (?, 'PERSON', ?, ?, ?, ?)",
                       [name, key, key.split()[-1], name_skeleton(name) or None, ws]).lastrowid
    assert eid is not None
    if " " in key:
        _absorb_surname_only(conn, eid, key.split()[-1], ws)
    return eid


def _absorb_surname_only(conn: Conn, keep: int, surname: str, ws: str) -> None:
    """Entities of the same owner known only by this surname (in that owner's own
    sightings) were this person all along: merge them in."""
    rows = conn.execute(
        "SELECT e.id FROM entities e WHERE e.id != ? AND e.key = ? AND e.ws = ? "
        "AND e.type NOT IN ('GPE', 'LOC', 'FAC') AND NOT EXISTS ("
        "SELECT 1 FROM entity_aliases a WHERE a.entity_id = e.id AND a.ws = e.ws "
        "AND a.key LIKE '% %')",
        [keep, surname, ws]).fetchall()
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
            f"INSERT INTO {table}(entity_id, ws, {col}{extra}, count) "
            f"SELECT ?, ws, {col}{extra}, count FROM {table} WHERE entity_id = ? "
            f"ON CONFLICT(entity_id, ws, {col}) DO UPDATE SET count = {table}.count + "
            "excluded.count", [keep, drop])
        conn.execute(f"DELETE FROM {table} WHERE entity_id = ?", [drop])
    conn.execute("DELETE FROM aboutness WHERE kind = ? AND target_id = ?",
                 [str(AboutKind.ENTITY), drop])
    conn.execute("DELETE FROM entities WHERE id = ?", [drop])
    refresh_articles(conn, touched)  # what those articles are about changed hands


def other_entity(conn: Conn, name: str, label: str, ws: str = "") -> int:
    """Find or create a non-person entity for owner `ws`; a bare word that is a known
    person's alias or surname ("Trump" tagged ORG) goes to that person."""
    scope = Scope.of(ws)
    key = phrase_key(name)
    in_a, owners = scope.sql("ws")
    rows = [r[0] for r in conn.execute(
        f"SELECT DISTINCT entity_id FROM entity_aliases WHERE key = ? AND {in_a} "
        "ORDER BY entity_id", [key, *owners])]
    found = _most_mentioned(conn, rows, scope)
    if found:
        return found
    if label != "GPE" and " " not in key:
        person = find_person(conn, name, scope)
        if person:
            return person
    eid = conn.execute("INSERT INTO entities(name, type, key, ws) VALUES (?, ?, ?, ?)",
                       [name, label, key, ws]).lastrowid
    assert eid is not None
    return eid


def record(conn: Conn, entity_id: int, alias: str, label: str, role: str | None,
           ws: str = "") -> None:
    """Count one sighting by owner `ws` of an alias, a label vote and a role phrase."""
    conn.execute("INSERT INTO entity_aliases(entity_id, ws, alias, key, count) "
                 "VALUES (?, ?, ?, ?, 1) "
                 "ON CONFLICT(entity_id, ws, alias) DO UPDATE SET count = entity_aliases.count + 1",
                 [entity_id, ws, alias, alias_key(alias, label)])
    conn.execute("INSERT INTO entity_labels(entity_id, ws, label, count) VALUES (?, ?, ?, 1) "
                 "ON CONFLICT(entity_id, ws, label) DO UPDATE SET count = entity_labels.count + 1",
                 [entity_id, ws, label])
    if role:
        conn.execute("INSERT INTO entity_roles(entity_id, ws, role, count) VALUES (?, ?, ?, 1) "
                     "ON CONFLICT(entity_id, ws, role) DO UPDATE SET count = entity_roles.count + 1",
                     [entity_id, ws, role])


def refresh(conn: Conn, entity_id: int) -> None:
    """Recompute name and type from its owner's own sightings: the most common full
    form, the majority label (other owners' sightings never rename it)."""
    owner = conn.execute("SELECT ws FROM entities WHERE id = ?", [entity_id]).fetchone()
    if owner is None:
        return
    aliases = conn.execute("SELECT alias, count FROM entity_aliases WHERE entity_id = ? "
                           "AND ws = ? ORDER BY count DESC, length(alias) DESC, alias",
                           [entity_id, owner[0]]).fetchall()
    if not aliases:
        return
    labels = dict(conn.execute("SELECT label, count FROM entity_labels WHERE entity_id = ? "
                               "AND ws = ?", [entity_id, owner[0]]).fetchall())
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


def lookup(conn: Conn, text: str, scope: Scope | None = None) -> int | None:
    """The entity a user means by `text` in `scope`: any alias, with titles, possessives,
    case and accents ignored; a bare surname finds the person ("Witkoff" -> Steve Witkoff)."""
    scope = scope or Scope.base()
    in_a, owners = scope.sql("ws")
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
        f"SELECT DISTINCT entity_id FROM entity_aliases WHERE key IN ({marks}) AND {in_a} "
        "ORDER BY entity_id", [*keys, *owners])]
    found = _most_mentioned(conn, rows, scope)
    if found:
        return found
    cleaned = clean_person(text)
    if cleaned:
        found = find_person(conn, cleaned[0], scope)
        if found:
            return found
    rows = [r[0] for r in conn.execute(f"SELECT id FROM entities WHERE key = ? AND {in_a} "
                                       "ORDER BY id", [fold(text), *owners])]
    return _most_mentioned(conn, rows, scope)


def surname_of(name: str) -> str:
    return surname_key(name)
