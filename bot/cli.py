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

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot.config import ConfigError, Settings  # noqa: E402
from bot.core import UserError  # noqa: E402

log = logging.getLogger("briefbot")


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
    ask.add_argument("--json", action="store_true",
                     help='print {"text", "title", "sources": [...]} as JSON')

    dig = sub.add_parser("digest", help="the period's top stories, one cited line each")
    dig.add_argument("--json", action="store_true", help="print the digest as JSON")

    ent = sub.add_parser("entities", help="list the people, places, organisations and events indexed")
    ent.add_argument("--json", action="store_true", help='print [{"name", "type", "aliases", "articles"}]')
    ent.add_argument("--type", help="only this type (PERSON, ORG, GPE, LOC, EVENT...)")
    ent.add_argument("--limit", type=int, default=50, help="at most this many (text output)")

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
    man.add_argument("--write", action="store_true",
                     help="rewrite adapters/slack/manifest.json instead of printing")
    _register_plugins(sub)
    return p


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
    try:
        overrides = {"db_path": Path(args.db).expanduser()} if args.db else {}
        settings = Settings.load(dotenv=args.env_file, **overrides)
        if not args.verbose:
            logging.getLogger().setLevel(settings.log_level.upper())
        handler = getattr(args, "handler", None) or _HANDLERS[args.cmd]
        return int(handler(args, settings) or 0)
    except (CliError, ConfigError, UserError) as exc:
        print(f"briefbot: error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:
        print(f"briefbot: error: the database {getattr(args, 'db', '') or ''} cannot be used: {exc}",
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
    from bot.ingest.pipeline import run_ingest

    urls = [p for p in args.paths if p.startswith(("http://", "https://"))]
    paths = [p for p in args.paths if p not in urls]
    services = _services(settings)
    report = run_ingest(paths, services.index, progress=not args.no_progress and not args.json)
    if urls:
        from bot.feeds.service import ingest_urls

        report = ingest_urls(urls, services, report)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print("\n".join(report.lines()))
    return 0 if report.pages or not report.rejected else 1


def _answer(services, text: str, *, platform: str = "console"):
    registry = services.registry
    request = registry.parse(text, platform=platform, user_id="cli", channel_id="cli",
                             is_direct=True, can_manage=True)
    return asyncio.run(registry.dispatch(request, services))


def _print_reply(reply, as_json: bool) -> int:
    from adapters.console import render

    if as_json:
        print(json.dumps(reply.as_json(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render(reply))
    return 1 if reply.kind == "error" else 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    question = " ".join(args.question)
    return _print_reply(_answer(_services(settings), question), args.json)


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    return _print_reply(_answer(_services(settings), "digest"), args.json)


def cmd_entities(args: argparse.Namespace, settings: Settings) -> int:
    from bot.index.store import Index

    index = Index(settings.db_path, settings)
    rows = index.entities()
    if args.type:
        rows = [r for r in rows if r.type.upper() == args.type.upper()]
    events = [] if args.type and args.type.upper() != "EVENT" else index.events()
    items = [{"name": r.name, "type": r.type, "aliases": r.aliases,
              "articles": len(r.article_ids)} for r in rows]
    items += [{"name": e.name, "type": "EVENT", "aliases": e.aliases,
               "articles": len(e.article_ids)} for e in events]
    items.sort(key=lambda i: (-i["articles"], i["name"]))
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("No entities yet: run `briefbot ingest PATH` first.")
    for i in items[:args.limit]:
        also = [a for a in i["aliases"] if a != i["name"]]
        extra = f"  (also: {', '.join(also[:5])})" if also else ""
        print(f"{i['name']:<32} {i['type']:<7} {i['articles']:>4} articles{extra}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.serve import serve

    platforms = ["discord", "slack"] if args.platform == "all" else [args.platform]
    if "discord" in platforms:
        settings.require_discord()
    if "slack" in platforms:
        settings.require_slack(http=args.http)
    if args.web_port is not None:
        from bot.web.app import check_bind

        check_bind(args.web_host, str(settings.web_token or ""))
    asyncio.run(serve(_services(settings), platforms, http=args.http, host=args.host,
                      port=args.port, sync=args.sync,
                      web=(args.web_host, args.web_port) if args.web_port is not None else None))
    return 0


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from bot.web.app import check_bind, serve_web

    check_bind(args.host, str(settings.web_token or ""))
    print(f"briefbot: status pages on http://{args.host}:{args.port}/ "
          f"(database {settings.db_path}); Ctrl-C stops", file=sys.stderr)
    asyncio.run(serve_web(_services(settings), args.host, args.port))
    return 0


def cmd_slack_manifest(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.slack.manifest import manifest_json, write_manifest
    from bot.registry import load_commands

    if args.write:
        print(f"wrote {write_manifest(load_commands())}")
    else:
        print(manifest_json(load_commands(), request_url=args.request_url), end="")
    return 0


_HANDLERS = {
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "digest": cmd_digest,
    "entities": cmd_entities,
    "serve": cmd_serve,
    "web": cmd_web,
    "slack-manifest": cmd_slack_manifest,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
