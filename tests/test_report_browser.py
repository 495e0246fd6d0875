"""The report in a real browser: loads offline, no errors, no outside requests, hostile text inert."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import Visit, browser, open_page, outside, screenshot
from tests.e2e import make_project, run_stages

pytestmark = pytest.mark.browser
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_project(tmp_path_factory.mktemp("seeds"))
    run_stages(project)
    return project / "reports"


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = {"name": "hostile", "path": "data/raw/hostile", "format": "thread_text"}
    project = make_project(tmp_path_factory.mktemp("hostile"), {"corpora": [corpus]},
                           raw={"hostile": FIXTURES / "xss"})
    run_stages(project)
    return project / "reports"


def test_every_page_loads_offline_without_errors(seed_report: Path) -> None:
    pages = sorted(seed_report.glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "threads.html"}
    with browser() as b:
        for path in pages:
            visit = Visit()
            page = open_page(b, path, visit)
            assert visit.errors == [], (path.name, visit.errors)
            assert outside(visit.requests, seed_report) == [], path.name
            screenshot(page, f"seeds-{path.stem}")
            page.close()


def test_threads_page_shows_every_thread(seed_report: Path) -> None:
    with browser() as b:
        page = open_page(b, seed_report / "threads.html", Visit())
        assert page.locator("section.doc").count() == 5
        assert page.locator("article.utt").count() == 66
        page.goto((seed_report / "threads.html").as_uri() + "#u-seeds--kolsky-spade--c16.1.1.2")
        target = page.locator("#u-seeds--kolsky-spade--c16\\.1\\.1\\.2")
        assert target.is_visible()
        assert target.locator("p").first.inner_text().startswith("Ludo,")


def test_hostile_comments_run_nothing(hostile_report: Path) -> None:
    with browser() as b:
        for name in ("index.html", "threads.html"):
            visit = Visit()
            page = open_page(b, hostile_report / name, visit)
            page.wait_for_timeout(300)
            assert page.evaluate("window.__pwned === undefined")
            assert page.title() != "pwned"
            assert outside(visit.requests, hostile_report) == []
            screenshot(page, f"hostile-{name[:-5]}")
        text = page.locator("article.utt").nth(1).inner_text()
        assert '<script>window.__pwned = 1; document.title = "pwned"</script> first' in text
