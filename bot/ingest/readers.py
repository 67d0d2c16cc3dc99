"""Finding and reading input files safely: folders, manifests, size limits, encodings.

Every problem becomes a `Rejected` with a reason a user can act on, so one bad
file never stops a batch of thousands. Sizes are checked with stat() before a
byte is read, and JSONL is streamed line by line.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot import text_hygiene
from bot.ingest.model import Rejected

#: Default for the largest single page (or JSONL line) we read: 10 MiB.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
KINDS = {".txt": "text", ".text": "text", ".md": "text", ".html": "html", ".htm": "html",
         ".xhtml": "html", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MANIFEST = "manifest.json"
_SNIFF = 8192


@dataclass
class PageMeta:
    """What a folder's manifest.json says about one file."""

    title: str | None = None
    publisher: str | None = None
    published: object = None
    url: str | None = None


@dataclass
class Input:
    """One file to ingest, named as the user gave it ("seeds/000_x.txt")."""

    path: Path
    shown: str
    kind: str
    size: int
    meta: PageMeta | None = None


def discover(paths: list[str | os.PathLike[str]]) -> Iterator[Input | Rejected]:
    """Every ingestible file under the given files and folders (recursively), in a stable order."""
    manifests = _Manifests()
    for given in paths:
        shown_root = os.path.normpath(os.fspath(given))
        root = Path(given)
        if "\0" in shown_root:
            yield Rejected(_posix(shown_root), "not a valid path (it holds a NUL character)")
        elif not root.exists():
            yield Rejected(_posix(shown_root), "no such file or directory")
        elif root.is_dir():
            found = False
            for item in _walk(root, shown_root, manifests):
                found = True
                yield item
            if not found:
                yield Rejected(_posix(shown_root), "folder has no files to ingest")
        elif root.is_file():
            yield from _one(root, _posix(shown_root), manifests, explicit=True)
        else:
            yield Rejected(_posix(shown_root), "not a regular file or directory")


def _walk(root: Path, shown_root: str, manifests: _Manifests) -> Iterator[Input | Rejected]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name == MANIFEST:
                continue                      # hidden files and the manifest itself are not pages
            full = Path(dirpath) / name
            shown = _posix(os.path.join(shown_root, os.path.relpath(full, root)))
            yield from _one(full, shown, manifests, explicit=False)


def _one(path: Path, shown: str, manifests: _Manifests, *, explicit: bool) -> Iterator[Input | Rejected]:
    kind = KINDS.get(path.suffix.lower())
    if kind is None and not explicit:
        yield Rejected(shown, f"skipped: unsupported file type {_posix(path.suffix) or '(no extension)'} "
                              f"(expected {', '.join(sorted(KINDS))})")
        return
    try:
        st = path.stat()
    except OSError as exc:
        yield Rejected(shown, f"cannot read: {exc.strerror or exc}")
        return
    if not stat.S_ISREG(st.st_mode):
        yield Rejected(shown, "not a regular file")   # a FIFO or device would block or never end
        return
    size = st.st_size
    meta, problem = manifests.lookup(path)
    if problem is not None:
        yield problem
    yield Input(path, shown, kind or _sniff_kind(path), size, meta)


class _Manifests:
    """manifest.json of each folder, read once; a broken one is reported once."""

    def __init__(self) -> None:
        self._cache: dict[Path, dict[str, PageMeta] | Rejected] = {}

    def lookup(self, path: Path) -> tuple[PageMeta | None, Rejected | None]:
        folder = path.parent
        first = folder not in self._cache
        if first:
            self._cache[folder] = load_manifest(folder / MANIFEST)
        found = self._cache[folder]
        if isinstance(found, Rejected):
            return None, (found if first else None)
        return found.get(path.name), None


def _sniff_kind(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF).lstrip().lower()
    except OSError:
        return "text"
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "html"
    if head.startswith(b"{"):
        return "jsonl"
    return "text"


def load_manifest(path: Path) -> dict[str, PageMeta] | Rejected:
    """file name -> PageMeta from `{"pages": [{"file", "title", "publisher", "published"}]}`.

    Also accepts a bare list of such objects, or a mapping of file name to object.
    """
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Rejected(_posix(os.path.normpath(path)), f"manifest ignored: not valid JSON ({exc})")
    except (RecursionError, ValueError):      # nested too deeply, or a 5,000-digit number
        return Rejected(_posix(os.path.normpath(path)), "manifest ignored: not valid JSON (too deep or too long)")
    entries = data.get("pages", data) if isinstance(data, dict) else data
    if isinstance(entries, dict):
        entries = [{"file": k, **v} for k, v in entries.items() if isinstance(v, dict)]
    if not isinstance(entries, list):
        return Rejected(_posix(os.path.normpath(path)), 'manifest ignored: expected {"pages": [...]}')
    found: dict[str, PageMeta] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("file"), str):
            found[entry["file"]] = PageMeta(
                title=clean_value(entry.get("title")),
                publisher=clean_value(entry.get("publisher")),
                published=entry.get("published"),
                url=clean_value(entry.get("url")),
            )
    return found


def clean_value(value: object) -> str | None:
    """Metadata strings: blank, "unknown", "n/a" and non-strings mean "not known"."""
    if not isinstance(value, str):
        return None
    text = text_hygiene.clean_line(value)
    return None if text.lower() in {"", "unknown", "none", "null", "n/a", "na", "-"} else text


def read_page(inp: Input, max_bytes: int) -> bytes | Rejected:
    """The raw bytes of a text or HTML page, refusing oversize, empty and binary files."""
    if inp.size > max_bytes:
        return Rejected(inp.shown, f"file too large: {_mb(inp.size)} (limit {_mb(max_bytes)})")
    if inp.size == 0:
        return Rejected(inp.shown, "empty file")
    try:
        with inp.path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return Rejected(inp.shown, f"cannot read: {exc.strerror or exc}")
    if len(data) > max_bytes:   # grew since stat()
        return Rejected(inp.shown, f"file too large: over {_mb(max_bytes)} limit")
    if not data.strip():
        return Rejected(inp.shown, "empty file (only whitespace)")
    if looks_binary(data):
        return Rejected(inp.shown, "binary file, not text")
    return data


def decode_text(data: bytes, shown: str) -> str | Rejected:
    """UTF-8 (with or without BOM, or UTF-16 with BOM); else a confident guess; else refused.

    The text returned is hygiene-clean (see bot.text_hygiene): valid NFC Unicode.
    """
    text, bad_at = _decode(data)
    if text is None:
        return Rejected(shown, f"cannot decode text: not UTF-8 (bad byte at offset {bad_at}) "
                               "and no other encoding fits")
    return text_hygiene.clean_text(text)


def decode_lenient(data: bytes) -> str:
    """Like `decode_text`, but a page nothing fits is read as UTF-8 with U+FFFD for bad bytes.

    For HTML, whose markup is ASCII whatever the encoding of the text in it.
    """
    text, _ = _decode(data)
    return text_hygiene.clean_text(data.decode("utf-8", "replace") if text is None else text)


def _decode(data: bytes) -> tuple[str | None, int]:
    """(text, -1), or (None, offset of the first byte that is not UTF-8) when nothing fits."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), -1
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), -1
    except UnicodeDecodeError as exc:
        where = exc.start
    try:
        from charset_normalizer import from_bytes
        best = from_bytes(data[: 1 << 20]).best()
    except Exception:  # noqa: BLE001 - detection is optional; the caller's message covers it
        best = None
    if best is not None and best.encoding and best.chaos < 0.1 and best.coherence > 0.2:
        try:
            return data.decode(best.encoding), -1
        except (UnicodeDecodeError, LookupError):
            pass
    return None, where


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB mean it is not a text file."""
    head = data[:_SNIFF]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False              # UTF-16 text has NULs
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) * 0.05


def iter_jsonl_lines(inp: Input, max_bytes: int) -> Iterator[tuple[int, bytes] | Rejected]:
    """(line number, raw line) for each non-blank line; oversize lines are refused unread."""
    if inp.size == 0:
        yield Rejected(inp.shown, "empty file")
        return
    try:
        fh = inp.path.open("rb")
    except OSError as exc:
        yield Rejected(inp.shown, f"cannot read: {exc.strerror or exc}")
        return
    with fh:
        head = fh.read(_SNIFF)
        # A gzip or an image is refused whole; one binary line among JSON lines costs only itself.
        if looks_binary(head) and not any(ln.lstrip().startswith(b"{") for ln in head.split(b"\n")):
            yield Rejected(inp.shown, "binary file, not JSON lines")
            return
        fh.seek(0)
        any_line = False
        for number, raw in enumerate(_bounded_lines(fh, max_bytes), start=1):
            if raw is None:
                yield Rejected(f"{inp.shown}:{number}", f"line too long: over {_mb(max_bytes)} limit")
                continue
            if raw.strip():
                any_line = True
                yield number, raw
        if not any_line:
            yield Rejected(inp.shown, "empty file (no JSON lines)")


def _bounded_lines(fh, max_bytes: int) -> Iterator[bytes | None]:
    """Lines of a binary file; a line longer than max_bytes yields None and is skipped unread."""
    while True:
        line = fh.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while True:                       # skip the rest of the oversize line in chunks
                rest = fh.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
        else:
            yield line


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _posix(path: str) -> str:
    """A path as a user sees it in a report: "/" separators, on one printable line.

    File names are bytes: undecodable ones (surrogate escapes) show U+FFFD, and a newline
    or control character in a name is shown escaped, so a rejection is always one line.
    """
    shown = path.replace(os.sep, "/")
    try:                                     # the bytes the name really has, one U+FFFD per bad byte
        raw = shown.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:               # a lone surrogate that no file system made
        raw = shown.encode("utf-8", "surrogatepass")
    shown = raw.decode("utf-8", "replace")
    if shown.isprintable():
        return shown
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in shown)
