"""Screenshots of the new pages, in English and Chinese, into docs/portal/ (only when
``GOVCHAIN_SCREENSHOTS`` names the folder, as ``make screenshots`` sets it)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, urlsplit

from playwright.sync_api import Page


def both(page: Page, name: str) -> None:
    """Shoot the page (reached by GET) in both languages, then go back to English."""
    out = os.environ.get("GOVCHAIN_SCREENSHOTS")
    if not out:
        return
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    parts = urlsplit(page.url)
    base = f"{parts.scheme}://{parts.netloc}"
    here = parts.path + (f"?{parts.query}" if parts.query else "")
    page.set_viewport_size({"width": 1280, "height": 800})
    for lang in ("en", "zh"):
        page.goto(f"{base}/lang/{lang}?next={quote(here, safe='')}")
        page.screenshot(path=str(folder / f"{lang}-{name}.png"), full_page=True)
    page.goto(f"{base}/lang/en?next={quote(here, safe='')}")
