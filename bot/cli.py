"""The `briefbot` command line: the same answers as in chat, with no chat platform.

Errors a user can fix are one line on stderr and a non-zero exit, never a
traceback; `-v` shows details for bug reports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot.config import ConfigError, Settings  # noqa: E402
from bot.core import ReplyKind, UserError  # noqa: E402
from bot.index.db import StorageError, translate  # noqa: E402

log = logging.getLogger("briefbot")


#: Chat commands that take a topic, offered as subcommands too: `briefbot sources Alaska summit`.
_TOPIC_COMMANDS = {
    "latest": "what's new on a topic, person or event",
    "who": "who someone is and what they did recently",
    "timeline": "dated entries on a topic, oldest first",
    "sources": "the articles held on a topic, newest first",
    "says": "what someone said, in their own words (\"Zelensky about Budapest summit\")",
}


class CliError(Exception):
    """Shown as `briefbot: error: <message>` with exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="briefbot",
        description="Self-hosted news briefings for Discord, Slack and the terminal. "
                    "Every sentence shown is quoted from a cited source.")
    p.add_argument("--db", metavar="PATH",
                   help="SQLite file to use (default: $BRIEFBOT_DB, else your user data folder)")
    p.add_argument("--env-file", metavar="FILE", default=".env",
                   help="read settings from this .env file if it exists (default: .env)")
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")

    ing = sub.add_parser("ingest", help="add articles from files, folders, JSONL or URLs",
                         description="Read text/HTML pages, JSONL (one article a line) or "
                                     "folders of them; http(s) URLs are fetched safely.")
    ing.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    ing.add_argument("--json", action="store_true", help="print the report as JSON")
    ing.add_argument("--no-progress", action="store_true", help="no progress bar")

    ask = sub.add_parser("ask", help='answer a question, e.g. "latest on Budapest summit"')
    ask.add_argument("question", nargs="+")
    _workspace_option(ask)
    ask.add_argument("--json", action="store_true",
                     help='print {"text", "title", "kind", "sections": [...], "sources": [...]} '
                          'as JSON')

    for name, what in _TOPIC_COMMANDS.items():
        cmd = sub.add_parser(name, help=f"{what} (the chat command /{name})",
                             description=f"{what}. The same answer as /{name} in Slack or "
                                         f"Discord; a time window may end the topic "
                                         f"(\"Zelensky this week\").")
        cmd.add_argument("topic", nargs="+")
        _workspace_option(cmd)
        cmd.add_argument("--json", action="store_true", help="print the answer as JSON (as ask --json)")
        if name == "sources":
            cmd.add_argument("--limit", type=int, default=None, metavar="N",
                             help="list at most N articles (default 15)")
            cmd.add_argument("--all", action="store_true", help="list every article")
        cmd.set_defaults(handler=cmd_topic)

    dig = sub.add_parser("digest", help="the period's top stories as cards with their sources")
    dig.add_argument("--json", action="store_true", help="print the digest as JSON")
    _workspace_option(dig)

    ent = sub.add_parser("entities", help="list the people, places, organisations and events indexed")
    ent.add_argument("--json", action="store_true", help='print [{"name", "type", "aliases", "articles"}]')
    ent.add_argument("--type", help="only this type (PERSON, ORG, GPE, LOC, EVENT...)")
    ent.add_argument("--limit", type=int, default=50, help="at most this many (text output; default 50)")
    ent.add_argument("--all", action="store_true", help="list every one (text output)")
    _workspace_option(ent)

    mnt = sub.add_parser(
        "maintain", help="apply retention and give unused space back to the disk",
        description="Apply BRIEFBOT_RETENTION_DAYS (old articles keep their title, sources, "
                    "people and events but drop their text, sentences and vectors), then "
                    "compact the file. The first run on a database made before briefbot "
                    "reclaimed space incrementally rewrites it once (VACUUM: needs about as "
                    "much free disk again); later runs only give back free pages.")
    mnt.add_argument("--retention-days", type=int, metavar="N", default=None,
                     help="prune articles older than N days this once (default: the "
                          "BRIEFBOT_RETENTION_DAYS setting; 0 prunes nothing)")
    mnt.add_argument("--no-vacuum", action="store_true",
                     help="only prune and give back free pages in small steps; no rewrite")
    mnt.add_argument("--json", action="store_true",
                     help='print {"pruned_articles", "dropped_sentences", "bytes_before", '
                          '"bytes_after", "vacuumed"} as JSON')

    mig = sub.add_parser(
        "migrate", help="copy this SQLite database into an empty PostgreSQL database",
        description="Copy everything in the SQLite file (--db / BRIEFBOT_DB): articles, "
                    "sentences and vectors, entities, events, feeds, digests and Slack installs, "
                    "into an empty PostgreSQL database, in batches, with progress on stderr. "
                    "Then set BRIEFBOT_DATABASE_URL to that URL. A target that already holds "
                    "briefbot rows is refused.")
    mig.add_argument("--to", required=True, metavar="URL",
                     help="postgresql://user:password@host:5432/dbname (an empty database)")
    mig.add_argument("--batch", type=int, default=2000, metavar="N",
                     help="rows per transaction (default 2000)")
    mig.add_argument("--json", action="store_true",
                     help='print {"rows": {table: n}, "fulltext": {table: n}} as JSON')

    srv = sub.add_parser("serve", help="run the chat bot(s) and the digest scheduler")
    srv.add_argument("platform", choices=["discord", "slack", "all"])
    srv.add_argument("--http", action="store_true",
                     help="Slack: receive events over HTTP instead of Socket Mode")
    srv.add_argument("--port", type=int, default=3000, help="Slack HTTP port (default 3000)")
    srv.add_argument("--host", default="0.0.0.0", help="Slack HTTP bind address")
    srv.add_argument("--sync", choices=["auto", "global", "guild", "none"], default="auto",
                     help="Discord: register slash commands per guild (DISCORD_GUILD_IDS, "
                          "instant), globally (can take a while to appear) or not at all; "
                          "auto (default) is guild when DISCORD_GUILD_IDS is set, else global")

    srv.add_argument("--role", choices=["all", "answer", "ingest"], default="all",
                     help="all (default): everything in this process; answer: chat and web "
                          "pages only; ingest: feed polling and digests only, no chat "
                          "listening (see docs/deploy.md)")
    srv.add_argument("--web-port", type=int, metavar="N",
                     help="also serve the read-only status pages on this port")
    srv.add_argument("--web-host", default="127.0.0.1",
                     help="bind address of the status pages (default 127.0.0.1; any other "
                          "address needs BRIEFBOT_WEB_TOKEN)")

    web = sub.add_parser("web", help="serve the read-only status pages (overview, feeds, "
                                     "people and events, search)")
    web.add_argument("--host", default="127.0.0.1",
                     help="bind address (default 127.0.0.1; any other needs BRIEFBOT_WEB_TOKEN)")
    web.add_argument("--port", type=int, default=8080, help="port (default 8080)")

    man = sub.add_parser("slack-manifest", help="print the Slack app manifest built from the commands")
    man.add_argument("--request-url", help="HTTP mode: the public URL Slack should call "
                                           "(https://HOST/slack/events); default Socket Mode")
    man.add_argument("--redirect-url", help="install flow (SLACK_CLIENT_ID): the public "
                                            "https://HOST/slack/oauth_redirect; needs "
                                            "--request-url")
    man.add_argument("--write", action="store_true",
                     help="rewrite adapters/slack/manifest.json instead of printing")
    _register_plugins(sub)
    return p


def _workspace_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--workspace", metavar="PLATFORM:ID", default="",
                     help="answer as that Discord server or Slack workspace sees it "
                          "(e.g. discord:123456789012345678): the base corpus plus its own "
                          "feeds; default: the base corpus only")


def _workspace(args: argparse.Namespace) -> str:
    """The owner string of `--workspace` ('' when not given); a malformed one is refused."""
    from bot.workspaces import parse_workspace

    given = getattr(args, "workspace", "") or ""
    if not given.strip():
        return ""
    try:
        return str(parse_workspace(given))
    except ValueError as exc:
        raise CliError(f"--workspace: {exc}") from None


def _register_plugins(sub: argparse._SubParsersAction) -> None:
    """Subcommands owned by optional subsystems (subscriptions, feeds)."""
    for module in ("bot.digests.cli", "bot.feeds.cli"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ImportError:
            continue
        mod.register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.cmd:
        parser.print_help()
        return 0
    db_path: object = args.db
    try:
        if args.db is not None and not args.db.strip():
            raise CliError("--db '' names no file: give the path of a SQLite database file")
        # --db names a SQLite file for this command, over BRIEFBOT_DATABASE_URL too
        settings = (Settings.load(dotenv=args.env_file, db_path=Path(args.db).expanduser(),
                                  database_url=None)
                    if args.db else Settings.load(dotenv=args.env_file))
        db_path = settings.database
        if not args.verbose:
            logging.getLogger().setLevel(settings.log_level.upper())
        handler = getattr(args, "handler", None) or _HANDLERS[args.cmd]
        return int(handler(args, settings) or 0)
    except (CliError, ConfigError, UserError, StorageError) as exc:
        log.debug("stopped", exc_info=True)
        print(f"briefbot: error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # a storage fault outside a write transaction (a read, a claim)
        log.debug("database error", exc_info=True)
        fault = translate(exc, db_path or "the database")
        print(f"briefbot: error: {fault or f'the database {db_path} cannot be used: {exc}'}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("briefbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `briefbot entities | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug: say so in one line, details with -v
        log.debug("unexpected error", exc_info=True)
        print(f"briefbot: error: {type(exc).__name__}: {exc} (run with -v for details)",
              file=sys.stderr)
        return 1


def _services(settings: Settings):
    from bot.services import build_services

    return build_services(settings)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ingest.pipeline import IngestReport, run_ingest

    urls = [p for p in args.paths if p.startswith(("http://", "https://"))]
    paths = [p for p in args.paths if p not in urls]
    services = _services(settings)
    report = IngestReport()
    try:
        run_ingest(paths, services.index, progress=not args.no_progress and not args.json,
                   report=report)
        if urls:
            from bot.feeds.service import ingest_urls

            ingest_urls(urls, services, report)
    except StorageError as exc:
        # What got in before the fault is really stored: print the exact counts, then fail.
        _print_ingest_report(report, args.json)
        raise CliError(f"{exc}; before that: {report.summary()}") from exc
    _print_ingest_report(report, args.json)
    return 0 if report.pages or not report.rejected else 1


def _print_ingest_report(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False), flush=True)
    else:
        print("\n".join(report.lines()), flush=True)


def _answer(services, text: str, *, platform: str = "console", workspace: str = ""):
    from bot.scopes import OPERATOR_WORKSPACE

    registry = services.registry
    request = registry.parse(text, platform=platform, user_id="cli", channel_id="cli",
                             is_direct=True, can_manage=True,
                             extra={OPERATOR_WORKSPACE: workspace} if workspace else None)
    return asyncio.run(registry.dispatch(request, services))


def _print_reply(reply, as_json: bool) -> int:
    from adapters.console import render

    if as_json:  # cleaned: valid UTF-8 whatever an article or the question held
        print(json.dumps(reply.cleaned().as_json(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render(reply))
    return 1 if reply.kind == ReplyKind.ERROR else 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    question = " ".join(args.question)
    workspace = _workspace(args)
    return _print_reply(_answer(_opened(settings), question, workspace=workspace), args.json)


def cmd_topic(args: argparse.Namespace, settings: Settings) -> int:
    """`briefbot sources Alaska summit`: the registry's command, as a slash command runs it."""
    from bot.core import Request
    from bot.scopes import OPERATOR_WORKSPACE

    workspace = _workspace(args)
    services = _opened(settings)
    extra: dict[str, Any] = {OPERATOR_WORKSPACE: workspace} if workspace else {}
    if args.cmd == "sources":
        extra["limit"] = None if args.all else args.limit
    request = Request(command=args.cmd, text=" ".join(args.topic), platform="console",
                      user_id="cli", channel_id="cli", is_direct=True, can_manage=True, extra=extra)
    return _print_reply(asyncio.run(services.registry.dispatch(request, services)), args.json)


def _opened(settings: Settings):
    """Services, after saying (with -v) which database answers and how much it holds:
    an empty answer from the wrong file is the first hour's commonest surprise."""
    services = _services(settings)
    log.debug("%s", _database_note(settings, services.index.article_count()))
    return services


def _database_note(settings: Settings, count: int) -> str:
    note = f"database {settings.database}: {count} article{'s' if count != 1 else ''}"
    return note + (" (empty: run `briefbot ingest PATH` first)" if not count else "")


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    workspace = _workspace(args)
    return _print_reply(_answer(_services(settings), "digest", workspace=workspace), args.json)


def cmd_entities(args: argparse.Namespace, settings: Settings) -> int:
    from bot.index.store import Index
    from bot.workspaces import Scope

    scope = Scope.of(_workspace(args))
    index = Index(settings.database, settings)
    rows = index.entities(scope=scope)
    if args.type:
        rows = [r for r in rows if r.type.upper() == args.type.upper()]
    events = [] if args.type and args.type.upper() != "EVENT" else index.events(scope=scope)
    items: list[dict[str, Any]] = [{"name": r.name, "type": r.type, "aliases": r.aliases,
              "articles": len(r.article_ids)} for r in rows]
    items += [{"name": e.name, "type": "EVENT", "aliases": e.aliases,
               "articles": len(e.article_ids)} for e in events]
    items.sort(key=lambda i: (-i["articles"], i["name"]))
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("No entities yet: run `briefbot ingest PATH` first.")
    shown = items if args.all else items[:max(args.limit, 0)]
    for i in shown:
        also = [a for a in i["aliases"] if a != i["name"]]
        extra = f"  (also: {', '.join(also[:5])})" if also else ""
        print(f"{i['name']:<32} {i['type']:<7} {i['articles']:>4} articles{extra}")
    if len(shown) < len(items):
        print(f"showing {len(shown)} of {len(items)}; --limit N or --all")
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.index.backend import DatabaseUrl
    from bot.index.transfer import transfer

    try:
        target = DatabaseUrl(args.to)
    except ValueError as exc:
        raise CliError(f"--to: {exc}") from None
    if args.batch < 1:
        raise CliError(f"--batch {args.batch}: give a number of rows of at least 1")
    shown: dict[str, int] = {}

    def progress(table: str, done: int, total: int) -> None:
        if done == total or done - shown.get(table, 0) >= 20 * args.batch:
            shown[table] = done
            print(f"{table}: {done:,}/{total:,}", file=sys.stderr, flush=True)

    report = transfer(settings.db_path, target, batch=args.batch, progress=progress)
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        print(f"copied {settings.db_path} to {target}: {report.rows.get('articles', 0):,} "
              f"articles, {sum(report.rows.values()):,} rows in {len(report.rows)} tables; "
              f"set BRIEFBOT_DATABASE_URL to use it")
    return 0


def cmd_maintain(args: argparse.Namespace, settings: Settings) -> int:
    from bot.index.store import Index

    if args.retention_days is not None and args.retention_days < 0:
        raise CliError(f"--retention-days {args.retention_days}: give 0 (prune nothing) or "
                       "a number of days")
    index = Index(settings.database, settings)  # no models: retention needs none
    try:
        before = index.file_bytes()
        pruned = index.prune(retention_days=args.retention_days)
        if args.no_vacuum:
            while index.reclaim():
                pass
            after, vacuumed = index.file_bytes(), False
        else:
            done = index.maintain()
            after, vacuumed = done.bytes_after, done.vacuumed
    finally:
        index.close()
    if args.json:
        print(json.dumps({"pruned_articles": pruned.articles,
                          "dropped_sentences": pruned.sentences, "bytes_before": before,
                          "bytes_after": after, "vacuumed": vacuumed}))
    else:
        days = settings.retention_days if args.retention_days is None else args.retention_days
        print(f"retention: {pruned.articles} articles older than {days} days pruned "
              f"({pruned.sentences} sentences dropped)" if days else
              "retention: off (BRIEFBOT_RETENTION_DAYS=0), nothing pruned")
        print(f"database: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB"
              + (" (rewritten once with VACUUM)" if vacuumed else ""))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.serve import Role, serve

    from bot.index.store import Index

    platforms = ["discord", "slack"] if args.platform == "all" else [args.platform]
    index = Index(settings.database, settings)  # no models loaded: only to name what will answer
    try:
        role = "" if args.role == "all" else f" (role {args.role})"
        print(f"briefbot: serving {', '.join(platforms)}{role} from the "
              f"{_database_note(settings, index.article_count())}", file=sys.stderr)
    finally:
        index.close()
    if "discord" in platforms:
        settings.require_discord()
    if "slack" in platforms:
        settings.require_slack(http=args.http)
    if args.web_port is not None:
        from bot.web.app import check_bind

        check_bind(args.web_host, str(settings.web_token or ""))
    asyncio.run(serve(_services(settings), platforms, http=args.http, host=args.host,
                      port=args.port, sync=args.sync, role=Role(args.role),
                      web=(args.web_host, args.web_port) if args.web_port is not None else None))
    return 0


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from bot.web.app import check_bind, serve_web

    check_bind(args.host, str(settings.web_token or ""))
    print(f"briefbot: status pages on http://{args.host}:{args.port}/ "
          f"(database {settings.database}); Ctrl-C stops", file=sys.stderr)
    asyncio.run(serve_web(_services(settings), args.host, args.port))
    return 0


def cmd_slack_manifest(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.slack.manifest import manifest_json, write_manifest
    from bot.registry import load_commands

    if args.write:
        print(f"wrote {write_manifest(load_commands())}")
    else:
        if args.redirect_url and not args.request_url:
            raise ConfigError("--redirect-url needs --request-url: the install flow runs in "
                              "HTTP mode")
        print(manifest_json(load_commands(), request_url=args.request_url,
                            redirect_url=args.redirect_url), end="")
    return 0


_HANDLERS = {
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "digest": cmd_digest,
    "entities": cmd_entities,
    "maintain": cmd_maintain,
    "migrate": cmd_migrate,
    "serve": cmd_serve,
    "web": cmd_web,
    "slack-manifest": cmd_slack_manifest,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
