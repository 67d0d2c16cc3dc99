"""A fetched feed document as clean UTF-8, decided once, before any XML parser sees it.

Feeds arrive in any encoding, declared or not, sometimes declared wrongly or with a
name no codec knows, and carry characters XML forbids (NUL, other controls, lone
surrogates) or character references to them (`&#0;`, `&#xD800;`, `&#99999999999;`).
Left to the parsers these raise deep inside them (feedparser's `chr()`, expat's
"multi-byte encodings are not supported", lxml's "no NULL bytes"). Decoding here,
once, means the entity check and feedparser read exactly the same text, and no
document can make either of them raise on its encoding or characters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from bot.text_hygiene import clean_text

#: Byte-order marks, longest first (a UTF-32-LE BOM starts with the UTF-16-LE one).
_BOMS = ((codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_BE, "utf-16-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"))
#: "<?" (or "<" then a letter) in UTF-16/32 without a BOM: the XML spec's autodetection table.
_WIDE_STARTS = ((b"\0\0\0<", "utf-32-be"), (b"<\0\0\0", "utf-32-le"),
                (b"\0<\0?", "utf-16-be"), (b"<\0?\0", "utf-16-le"))
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,300}?\?>")
_ENCODING_ATTR = re.compile(r"""encoding\s*=\s*["'][^"']*["']""")
#: A numeric character reference; over 8 digits it cannot name a Unicode character.
_CHARREF = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
#: Characters XML 1.0 forbids that clean_text keeps (it already drops controls and surrogates).
_NON_XML = re.compile("[\ufffe\uffff]")


@dataclass(frozen=True)
class Decoded:
    """The document as UTF-8 bytes, the encoding it was read with, and what was repaired."""

    data: bytes
    encoding: str
    #: Set when the bytes did not decode cleanly in any encoding the document names.
    warning: str | None = None


def decode_document(data: bytes, content_type: str = "") -> Decoded:
    """Decode by BOM, XML declaration, HTTP charset, then UTF-8; never raises.

    The first candidate that decodes without error wins; if none does, the first one
    (a BOM, else the declaration...) is used with replacement characters and `warning`
    says so. Characters and character
    references XML forbids are removed (controls) or become U+FFFD (the rest), and the
    XML declaration is rewritten to say UTF-8, which the returned bytes are.
    """
    candidates = _candidates(data, content_type)
    text, used, warning = None, "utf-8", None
    for name in candidates:
        try:
            text = data.decode(name)
            used = name
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:  # the most authoritative name wins, with U+FFFD for what it cannot read
        used = candidates[0]
        text = data.decode(used, "replace")
        warning = (f"the feed's bytes are not valid {' or '.join(candidates)}; "
                   f"read as {used} with undecodable bytes replaced")
    text = _CHARREF.sub(_safe_charref, text)
    text = _NON_XML.sub("\ufffd", clean_text(text))
    text = _DECLARATION.sub(lambda m: _ENCODING_ATTR.sub('encoding="utf-8"', m.group(0)), text,
                            count=1)
    return Decoded(text.encode("utf-8"), used, warning)


def _candidates(data: bytes, content_type: str) -> list[str]:
    """Encodings to try, most authoritative first, each a known text codec, no repeats."""
    found: list[str] = []
    for bom, name in _BOMS:
        if data.startswith(bom):
            found.append(name + "-sig" if name == "utf-8" else name)
            break
    for start, name in _WIDE_STARTS:
        if data.startswith(start):
            found.append(name)
            break
    head = data[:400]
    if found and found[0].startswith(("utf-16", "utf-32")):
        head = head.decode(found[0], "replace").encode("ascii", "replace")
    declared = _DECLARED.match(head)
    if declared:
        found.append(declared.group(1).decode("ascii"))
    charset = _CHARSET.search(content_type or "")
    if charset:
        found.append(charset.group(1))
    found.append("utf-8")
    out: list[str] = []
    for name in found:
        codec = _text_codec(name)
        if codec and codec not in out:
            out.append(codec)
    return out


def _text_codec(name: str) -> str | None:
    """The codec's canonical name if it decodes bytes to text (not rot13, not base64)."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    # UTF-16/32 without an explicit byte order: the BOM (if any) decides, as the codec does.
    return info.name


def _safe_charref(m: re.Match[str]) -> str:
    """Keep a reference to an allowed character; a control disappears, anything else is U+FFFD."""
    digits = m.group(1) or m.group(2)
    if len(digits) > 8:
        return "&#xFFFD;"
    code = int(digits, 16) if m.group(1) else int(digits)
    if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0x7E:
        return m.group(0)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return ""
    if 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF) or code > 0x10FFFF:
        return "&#xFFFD;"
    return m.group(0)
