"""Shared set-up for the web tests: a seeded index plus articles with hostile titles."""

from __future__ import annotations

import json
from pathlib import Path

#: Article fields a followed feed's author controls, aimed at the status pages.
HOSTILE = [
    {"title": "<script>alert('title')</script> Dam council vote",
     "url": "javascript:alert('url')",
     "publisher": "<img src=x onerror=alert('pub')>",
     "text": "The Millbrook dam council voted on Tuesday to repair the spillway. "
             "Engineers said the work in Millbrook would take three months. "
             "The Millbrook dam council will meet again in March."},
    {"title": "https://www.bbc.co.uk/news/millbrook-dam",
     "url": "https://evil.example/phish",
     "publisher": "Evil Herald",
     "text": "Millbrook residents were told the dam spillway is safe for now. "
             "The Millbrook council said inspections continue every week. "
             "Repairs to the Millbrook dam start on Monday."},
]


def write_hostile_jsonl(folder: Path) -> Path:
    path = folder / "hostile.jsonl"
    rows = [dict(item, published=f"2025-10-{20 + i:02d}T09:00:00+00:00")
            for i, item in enumerate(HOSTILE)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path
