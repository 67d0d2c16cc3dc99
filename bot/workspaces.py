"""Which Discord servers and Slack workspaces this instance serves (BRIEFBOT_WORKSPACES).

A bot is public by default: anyone may invite it to their server, and that server's
`/feeds add` would then shape everybody's answers. The allow-list closes that door.
Written `discord:123456789012345678, slack:T0ABC123`; empty means "serve every
server and workspace the bot is in", as before. A non-empty list is complete for
both platforms: a platform with no entry in it serves no server or workspace at all
(DMs on Discord are not a server and stay open).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ChatPlatform(StrEnum):
    """The platforms whose servers/workspaces the allow-list names."""

    DISCORD = "discord"
    SLACK = "slack"


#: Discord snowflakes are positive whole numbers; Slack team ids start with T
#: (E for an Enterprise Grid organisation) followed by capitals and digits.
_ID_SHAPES = {ChatPlatform.DISCORD: re.compile(r"[1-9][0-9]{0,19}"),
              ChatPlatform.SLACK: re.compile(r"[TE][A-Z0-9]{2,20}")}
_EXAMPLES = {ChatPlatform.DISCORD: "a server id such as discord:123456789012345678",
             ChatPlatform.SLACK: "a team id such as slack:T0ABC123 (capitals and digits)"}
SYNTAX = "platform:id entries, comma separated, e.g. discord:123456789012345678,slack:T0ABC123"


@dataclass(frozen=True)
class Workspace:
    """One Discord server or Slack workspace."""

    platform: ChatPlatform
    id: str

    def __str__(self) -> str:
        return f"{self.platform.value}:{self.id}"


def parse_workspace(entry: str) -> Workspace:
    """`discord:123` -> Workspace; a malformed entry raises ValueError saying what is expected."""
    platform, sep, ident = entry.strip().partition(":")
    try:
        kind = ChatPlatform(platform.strip().lower())
    except ValueError:
        raise ValueError(f"{entry[:40]!r} does not start with discord: or slack:; expected "
                         f"{SYNTAX}") from None
    ident = ident.strip()
    if not sep or not _ID_SHAPES[kind].fullmatch(ident):
        raise ValueError(f"{entry[:40]!r} is not {_EXAMPLES[kind]}")
    return Workspace(kind, ident)


@dataclass(frozen=True)
class AllowList:
    """`allows(platform, id)`; an empty list allows everything."""

    entries: frozenset[Workspace] = frozenset()

    @classmethod
    def of(cls, entries: tuple[str, ...]) -> AllowList:
        return cls(frozenset(parse_workspace(e) for e in entries))

    @property
    def restricted(self) -> bool:
        return bool(self.entries)

    def allows(self, platform: ChatPlatform, ident: str | int | None) -> bool:
        if not self.entries:
            return True
        return ident is not None and Workspace(platform, str(ident)) in self.entries

    def ids(self, platform: ChatPlatform) -> list[str]:
        """The listed ids of one platform, for log lines."""
        return sorted(w.id for w in self.entries if w.platform == platform)


#: The owner of the operator's base corpus: seeds, CLI ingests, feeds added from the CLI.
BASE = ""


def owner_of(platform: str, ident: str | int | None) -> str:
    """The owner string of a chat workspace ("discord:123"), or BASE when there is none
    (a DM, the console) or the platform has no workspaces. An id already written as an
    owner of this platform ("slack:T1" on slack) is returned as it is; another platform's
    is not this platform's workspace (BASE: less, never someone else's)."""
    ident = "" if ident is None else str(ident).strip()
    try:
        kind = ChatPlatform(platform)
    except ValueError:  # "console", "test": no workspaces there
        return BASE
    if not ident or (":" in ident and not ident.startswith(f"{kind.value}:")):
        return BASE
    return ident if ":" in ident else str(Workspace(kind, ident))


@dataclass(frozen=True)
class Scope:
    """The owners an answer may draw on: always the base corpus, plus workspaces.

    The one home of "what may this reader see". Index reads take a Scope and default
    to `Scope.base()`, so a forgotten scope can only ever show less, never leak."""

    workspaces: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "workspaces", frozenset(w for w in self.workspaces if w))

    @classmethod
    def base(cls) -> Scope:
        return cls()

    @classmethod
    def of(cls, *owners: str) -> Scope:
        return cls(frozenset(owners))

    @property
    def owners(self) -> tuple[str, ...]:
        """Every owner in scope, base first then sorted: stable SQL parameters."""
        return (BASE, *sorted(self.workspaces))

    def __contains__(self, owner: object) -> bool:
        return owner == BASE or owner in self.workspaces

    def sql(self, column: str, *, by_index: bool = True) -> tuple[str, list[str]]:
        """`column IN (?, ...)` and its parameters, portable SQL. `by_index=False` keeps
        SQLite from reading the owner index for it (`column || ''`), where a date or hash
        index must find the rows: nearly every row has one of a few owners."""
        owners = self.owners
        target = column if by_index else f"{column} || ''"
        return f"{target} IN ({','.join('?' * len(owners))})", list(owners)
