"""Screenshots of the status pages for the README, taken on the seeds database only
(the evaluation texts may not be published).

    .venv/bin/python docs/screenshots.py            # writes docs/img/overview.png, event.png

Ingests seeds/ into a temporary database, serves the pages on 127.0.0.1, and has
Debian's Chromium (through Playwright, `--no-sandbox`) photograph the overview and the
Budapest summit page.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from aiohttp.test_utils import TestServer  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.ingest.pipeline import run_ingest  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.web.app import make_app  # noqa: E402

PAGES = {"overview.png": "/", "event.png": "/topic?q=Budapest+summit"}


async def shoot(out: Path) -> None:
    from playwright.async_api import async_playwright

    chromium = os.environ.get("BRIEFBOT_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("no chromium: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(Settings.load(env={}, dotenv=None, db_path=Path(tmp) / "s.db"))
        cwd = os.getcwd()
        os.chdir(ROOT)  # sources read "seeds/…", as in the README
        try:
            run_ingest(["seeds"], services.index, progress=False)
        finally:
            os.chdir(cwd)
        from bot.digests.manage import open_store, subscribe

        with open_store(services) as store:  # one channel, so the digest table shows a row
            subscribe(store, "slack", "C0DEMO", "08:00", "Europe/Kyiv", ["Budapest summit"],
                      settings=services.settings, now=services.clock())
        server = TestServer(make_app(services), host="127.0.0.1")
        await server.start_server()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = await browser.new_page(viewport={"width": 1100, "height": 800})
            for name, path in PAGES.items():
                await page.goto(f"http://127.0.0.1:{server.port}{path}")
                await page.wait_for_load_state("networkidle")
                await page.screenshot(path=str(out / name), full_page=True)
                print(f"wrote {out / name}")
            await browser.close()
        await server.close()
        services.index.close()


if __name__ == "__main__":
    target = ROOT / "docs" / "img"
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(target))
