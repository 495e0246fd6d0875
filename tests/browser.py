"""Drive Debian's Chromium through Playwright: load report pages, collect errors and requests."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"


@dataclass
class Visit:
    """What happened while a page was open."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextmanager
def browser() -> Iterator[object]:
    """A headless Chromium (skips the test when chromium or playwright is missing; fails instead under CI)."""
    from tests.conftest import missing

    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        missing("chromium not installed (make browser)")
    try:
        sync_api = importlib.import_module("playwright.sync_api")
    except ImportError:
        missing("playwright not installed (make setup)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def open_page(b: object, path: Path, visit: Visit) -> object:
    """Open a report page from disk, recording console errors, page errors and every request."""
    page = b.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.on("request", lambda r: visit.requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page


def outside(requests: list[str], folder: Path) -> list[str]:
    """Requests that leave the report folder (anything not a file inside it)."""
    base = folder.resolve().as_uri()
    return [u for u in requests if not (u.startswith(base) or u.startswith("data:") or u == "about:blank")]


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(out), full_page=False)
    return out
