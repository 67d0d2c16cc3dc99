"""The platform-neutral command core: requests in, replies out.

Every surface (Discord, Slack, the CLI, tests) turns what a user typed into one
`Request`, calls `Registry.dispatch`, and renders the `Reply` it gets back. Only
rendering differs between platforms, so a command is written once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from bot.index.db import StorageError, translate
from bot.questions import Window, parse_question, split_window
from bot.text_hygiene import clean_line, clean_text

if TYPE_CHECKING:  # pragma: no cover - import only for type checkers
    from bot.services import Services

log = logging.getLogger(__name__)

#: Longest topic or question a user may send; longer input is refused, not cut.
MAX_QUERY_CHARS = 300


class UserError(Exception):
    """A problem the user can fix; its message is shown to them as it is."""


@dataclass(frozen=True, slots=True)
class Request:
    """One thing a user asked, whatever the platform."""

    command: str
    text: str
    platform: str = "console"  # "discord" | "slack" | "console" | "test"
    user_id: str = ""
    channel_id: str = ""
    is_direct: bool = False
    #: Set by the adapter from the platform's own permission check (Manage Channels).
    can_manage: bool = False
    #: Platform-specific extras an adapter wants a command to see (guild id, team id...).
    extra: dict[str, Any] = field(default_factory=dict)
    #: "this week", "since Monday"...: which articles a topic command may draw from.
    window: Window | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """What a reader follows to check a sentence: cited as [n]."""

    n: int
    article_id: int
    title: str
    publisher: str | None
    published: datetime | None
    url: str | None
    origin: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "article_id": self.article_id,
            "title": self.title,
            "publisher": self.publisher,
            "published": self.published.isoformat() if self.published else None,
            "url": self.url,
            "origin": self.origin,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Source:
        published = data.get("published")
        return cls(n=int(data["n"]), article_id=int(data["article_id"]), title=data["title"],
                   publisher=data.get("publisher"),
                   published=datetime.fromisoformat(published) if published else None,
                   url=data.get("url"), origin=data.get("origin"))

    def cleaned(self) -> Source:
        """Every string as valid one-line Unicode: titles and publishers come from feeds."""
        return replace(self, title=clean_line(self.title), publisher=clean_line(self.publisher) or None,
                       url=clean_text(self.url).strip() or None,
                       origin=clean_line(self.origin) or None)


class ReplyKind(StrEnum):
    """What a reply is, so renderers and the CLI's exit status need not guess from text."""

    ANSWER = "answer"
    HELP = "help"
    NO_COVERAGE = "no_coverage"
    #: No article is about the topic; the sentences that merely mention it, cited.
    PASSING_MENTIONS = "passing_mentions"
    ERROR = "error"
    FORBIDDEN = "forbidden"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class Claim:
    """One sentence as a reader sees it, and the sources [n] that back it.

    `text` is a source's exact words when `refs` is non-empty; several refs mean several
    sources said the same thing. With no refs it is briefbot's own plain text (help,
    notices, counts), never passed off as a quote. Renderers escape `text` and write
    the citation marks themselves, so no renderer ever parses "[n]" out of text.
    """

    text: str
    refs: tuple[int, ...] = ()

    @property
    def marks(self) -> str:
        """ "[1][3]": what renderers write after the text, never parsed back out of it."""
        return marks(self.refs)

    @property
    def plain(self) -> str:
        """The claim as plain text: "Sentence. [1][3]"."""
        return f"{self.text} {self.marks}" if self.refs else self.text

    def cleaned(self) -> Claim:
        """The claim as one line of valid Unicode (see bot.text_hygiene)."""
        return Claim(clean_line(self.text), self.refs)


def marks(refs: Iterable[int]) -> str:
    """Citation marks as every renderer writes them: "[1][3]" ("" when uncited)."""
    return "".join(f"[{n}]" for n in refs)


#: Claims that read as one paragraph (a briefing), or one line (a timeline entry).
Paragraph = tuple[Claim, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """A unit of a reply that renderers keep whole where they can.

    Renderers may split between paragraphs or between claims of one paragraph, but
    never inside a claim, so a sentence always travels with its citation.
    """

    paragraphs: tuple[Paragraph, ...] = ()
    heading: str | None = None

    @classmethod
    def note(cls, text: str, *, heading: str | None = None) -> Section:
        """briefbot's own words, one paragraph per line of `text`, uncited."""
        return cls(tuple((Claim(line),) if line else () for line in text.split("\n")),
                   heading=heading)

    @classmethod
    def cited(cls, claims: Iterable[Claim], *, heading: str | None = None) -> Section:
        """Cited sentences read as one paragraph (a briefing)."""
        return cls((tuple(claims),), heading=heading)

    @classmethod
    def lines(cls, claims: Iterable[Claim], *, heading: str | None = None) -> Section:
        """One claim per line (timeline entries, source lists)."""
        return cls(tuple((c,) for c in claims), heading=heading)

    @property
    def claims(self) -> tuple[Claim, ...]:
        return tuple(c for p in self.paragraphs for c in p)

    def cleaned(self) -> Section:
        return Section(tuple(tuple(c.cleaned() for c in p) for p in self.paragraphs),
                       heading=clean_line(self.heading) or None)

    @property
    def body(self) -> str:
        """The section as plain text, for JSON output and logs."""
        return "\n".join(" ".join(c.plain for c in p) for p in self.paragraphs)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that goes with a reply, such as a coverage chart; `alt` says what it shows,
    and a surface that cannot show the file shows the reply without it."""

    filename: str
    data: bytes = field(repr=False)
    mime: str
    alt: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers: structured sections; adapters escape and format them."""

    sections: tuple[Section, ...]
    title: str | None = None
    sources: tuple[Source, ...] = ()
    ephemeral: bool = False
    kind: ReplyKind = ReplyKind.ANSWER
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def plain(cls, text: str, *, title: str | None = None, kind: ReplyKind = ReplyKind.ANSWER,
              ephemeral: bool = False) -> Reply:
        return cls(sections=(Section.note(text),), title=title, kind=kind, ephemeral=ephemeral)

    def cleaned(self) -> Reply:
        """This reply with every string it holds made valid one-line Unicode.

        Every string in a reply may come from outside (article sentences, feed titles
        and URLs, the user's own question in a title), so renderers start from this and
        then only escape per platform.
        """
        return replace(self, title=clean_line(self.title) or None,
                       sections=tuple(s.cleaned() for s in self.sections),
                       sources=tuple(s.cleaned() for s in self.sources))

    @property
    def text(self) -> str:
        parts = []
        for s in self.sections:
            parts.append(f"{s.heading}\n{s.body}" if s.heading else s.body)
        return "\n\n".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "title": self.title,
            "kind": str(self.kind),
            "sections": [{"heading": s.heading,
                          "paragraphs": [[{"text": c.text, "refs": list(c.refs)} for c in p]
                                         for p in s.paragraphs]}
                         for s in self.sections],
            "sources": [s.as_json() for s in self.sources],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reply:
        """The inverse of `as_json` (whose "text" is derived, so ignored): a reply kept on
        disk, such as a digest a retry must post exactly as it was composed."""
        sections = tuple(
            Section(tuple(tuple(Claim(c["text"], tuple(c.get("refs", ()))) for c in p)
                          for p in s.get("paragraphs", [])), heading=s.get("heading"))
            for s in data.get("sections", []))
        return cls(sections=sections, title=data.get("title"),
                   sources=tuple(Source.from_json(s) for s in data.get("sources", [])),
                   kind=ReplyKind(data.get("kind") or ReplyKind.ANSWER))


Handler = Callable[["Request", "Services"], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A registered command: what slash-command builders and help read."""

    name: str
    description: str
    handler: Handler
    #: Name and description of the single free-text option, or None for no option.
    arg_name: str | None = None
    arg_description: str = ""
    arg_required: bool = False
    #: Changing a channel's settings needs Manage Channels; the core enforces it.
    requires_manage: bool = False
    #: Example shown by `help`.
    usage: str = ""
    #: Its topic may carry a time window ("Zelensky this week") that limits the articles.
    windowed: bool = False
    #: Changes state (subscriptions, feeds, the index, a posted digest): read-only
    #: surfaces such as the web pages never offer it.
    writes: bool = False


class Registry:
    """One registry of commands, shared by every surface."""

    def __init__(self) -> None:
        self._commands: dict[str, CommandSpec] = {}

    def command(self, name: str, description: str, *, arg: str | None = None,
                arg_description: str = "", arg_required: bool = False,
                requires_manage: bool = False, usage: str = "",
                windowed: bool = False, writes: bool = False) -> Callable[[Handler], Handler]:
        """Decorator: register `handler` under `name`; duplicate names are a bug."""

        def register(handler: Handler) -> Handler:
            if name in self._commands:
                raise ValueError(f"command {name!r} is registered twice")
            if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", name):
                raise ValueError(f"command name {name!r} is not a valid slash-command name")
            self._commands[name] = CommandSpec(
                name=name, description=description, handler=handler, arg_name=arg,
                arg_description=arg_description, arg_required=arg_required,
                requires_manage=requires_manage, usage=usage or f"{name} {arg or ''}".strip(),
                windowed=windowed, writes=writes or requires_manage)
            return handler

        return register

    def get(self, name: str) -> CommandSpec | None:
        return self._commands.get(name)

    def __iter__(self):
        return iter(sorted(self._commands.values(), key=lambda c: c.name))

    def __contains__(self, name: str) -> bool:
        return name in self._commands

    def parse(self, text: str, *, platform: str = "console", user_id: str = "",
              channel_id: str = "", is_direct: bool = False, can_manage: bool = False,
              extra: dict[str, Any] | None = None) -> Request:
        """Turn free text (a DM, a mention, a CLI question) into a Request (see bot.questions)."""
        question = parse_question(text, self)
        return Request(command=question.command, text=question.topic, platform=platform,
                       user_id=user_id, channel_id=channel_id, is_direct=is_direct,
                       can_manage=can_manage, extra=dict(extra or {}), window=question.window)

    async def dispatch(self, request: Request, services: Services) -> Reply:
        """Run the command; user mistakes and crashes both become a short reply."""
        spec = self._commands.get(request.command)
        if spec is None:
            return Reply.plain(
                f"Unknown command “{request.command[:40]}”. Try `help`.", kind=ReplyKind.ERROR)
        if spec.requires_manage and not request.can_manage:
            return Reply.plain(
                f"`{spec.name}` changes this channel's settings, so it needs the "
                "Manage Channels permission.", kind=ReplyKind.FORBIDDEN, ephemeral=True)
        text = clean_query(request.text)
        window = request.window
        if spec.windowed and window is None:  # a slash command's "Zelensky this week"
            text, window = split_window(text)
        if len(text) > MAX_QUERY_CHARS:
            return Reply.plain(
                f"That is {len(text)} characters long; please ask in at most {MAX_QUERY_CHARS} characters.",
                kind=ReplyKind.ERROR, ephemeral=True)
        if spec.arg_required and not text:
            return Reply.plain(f"`{spec.name}` needs {_a(spec.arg_name or 'an argument')}: "
                               f"try `{spec.usage}`.",
                               kind=ReplyKind.ERROR, ephemeral=True)
        if text != request.text or window is not request.window:
            request = replace(request, text=text, window=window)
        services = scoped(request, services)
        limit = services.settings.command_timeout_seconds
        task = asyncio.ensure_future(spec.handler(request, services))
        try:
            done, _ = await asyncio.wait({task}, timeout=limit)
            if not done:  # the user hears back; a model call in a thread cannot be stopped
                task.cancel()
                log.error("command %s took more than %g s (platform=%s channel=%s)",
                          spec.name, limit, request.platform, request.channel_id)
                return Reply.plain(
                    f"Sorry, that took more than {limit:g} seconds, so I stopped waiting. "
                    "Please try again later.", kind=ReplyKind.ERROR, ephemeral=True)
            return task.result()
        except asyncio.CancelledError:  # the bot is shutting down: take the command along
            task.cancel()
            raise
        except UserError as exc:
            return Reply.plain(str(exc), kind=ReplyKind.ERROR, ephemeral=True)
        except (StorageError, sqlite3.Error) as exc:
            fault = exc if isinstance(exc, StorageError) else translate(
                exc, services.settings.database)
            if fault is None:  # not a storage fault: a bug, handled below
                return self._crashed(spec, request)
            # disk full, read-only: the operator's problem, said plainly to the user
            log.error("command %s: %s", spec.name, fault)
            return Reply.plain(f"Sorry, I could not do that: the bot's database is unavailable "
                               f"({fault.fault.value}). The operator can see why in the log.",
                               kind=ReplyKind.ERROR, ephemeral=True)
        except Exception:  # one failing command must not take the bot down
            return self._crashed(spec, request)

    @staticmethod
    def _crashed(spec: CommandSpec, request: Request) -> Reply:
        log.exception("command %s failed (platform=%s channel=%s)",
                      spec.name, request.platform, request.channel_id)
        return Reply.plain(
            "Sorry, something went wrong while answering that. The error was logged.",
            kind=ReplyKind.ERROR, ephemeral=True)


def scoped(request: Request, services: Services) -> Services:
    """The services a command runs with: the index seen through the request's Scope
    (bot.scopes), so every command's reads stay within what its asker may see."""
    from bot.scopes import scope_for

    if services.index is None:  # a command that reads no index (help, in tests)
        return services
    return services.seen_from(scope_for(request, services))


def _a(noun: str) -> str:
    """ "a topic", "an action", "a URL": how the missing argument is named to the user."""
    if noun.lower() == "url":
        return "a URL"
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def clean_query(text: str) -> str:
    """A question as the commands see it: valid one-line Unicode (see bot.text_hygiene)."""
    return clean_line(text)


class Poster(Protocol):
    """What the scheduler needs from a platform: post a reply to a channel, unprompted.

    Returns the platform's id of the posted message (Discord message id, Slack ts),
    which the digest log records so a digest is never sent twice.
    """

    platform: str

    async def post(self, channel_id: str, reply: Reply) -> str: ...
