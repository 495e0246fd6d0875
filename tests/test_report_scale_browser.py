"""In Chromium: a report whose threads are spread over pages (three documents, one page each) and whose drill-downs
are sampled. A quote's link in the quotes panel opens the right thread page at the right place; the panel says
"K of N shown"; every page, thread pages included, loads offline without errors (hand-built tables)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.report.pages import build_pages
from pipeline.report.report_cli import write_site
from pipeline.report.scale import Limits
from tests.browser import Visit, browser, open_page, outside, screenshot
from tests.test_report_browser import quotes, rendered
from tests.test_report_scale import three_docs

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three-document report: threads/0001.html (t/d), 0002 (t/e), 0003 (t/d2); one quote per drill-down."""
    out = tmp_path_factory.mktemp("paged")
    pages = build_pages(three_docs(), "R", "now", limits=Limits(max_quotes=1, thread_page_utterances=1))
    write_site(pages, out)
    return out


def test_quote_link_opens_the_right_thread_page_at_the_right_place(report: Path) -> None:
    with browser() as b:
        visit = Visit()
        page = open_page(b, report / "frames.html", visit)
        rendered(page)
        page.locator('table td[data-title="marketing-first"]').first.click()
        title, texts = quotes(page)
        assert title == "marketing-first (3)" and texts == ["“Buy it.”"]  # t/d/post/s1: the lowest-ranked of 3
        assert page.locator("#quotes .quote-note").inner_text().startswith("1 of 3 shown")
        link = page.locator("#quotes .quote a")
        assert link.get_attribute("href") == "threads/0001.html#u-t--d--post"
        screenshot(page, "scale-frames-sampled-quotes")
        link.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/threads/0001.html#u-t--d--post")
        assert page.locator("#u-t--d--post").is_visible()
        page.goto((report / "frames.html").as_uri())
        page.wait_for_load_state("load")
        page.locator('table td[data-title="Third · marketing-first"]').click()  # per document: t/d2's one unit
        title, texts = quotes(page)
        assert title == "Third · marketing-first (1)" and texts == ["“Third thread.”"]
        assert page.locator("#quotes .quote-note").count() == 0  # nothing left out
        page.locator("#quotes .quote a").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/threads/0003.html#u-t--d2--post")
        target = page.locator("#u-t--d2--post")
        assert target.is_visible() and target.inner_text().find("Third thread.") >= 0
        screenshot(page, "scale-thread-page-target")
        assert visit.errors == [] and outside(visit.requests, report) == []


def test_every_page_and_thread_page_loads_offline(report: Path) -> None:
    names = sorted(p.relative_to(report).as_posix() for p in report.rglob("*.html"))
    assert [n for n in names if n.startswith("threads")] == ["threads.html", "threads/0001.html",
                                                              "threads/0002.html", "threads/0003.html"]
    with browser() as b:
        for name in names:
            visit = Visit()
            page = open_page(b, report / name, visit)
            assert visit.errors == [], (name, visit.errors)
            assert outside(visit.requests, report) == [], name
            assert page.evaluate("getComputedStyle(document.body).margin") == "0px", name  # ../assets/style.css read
            page.close()
        page = open_page(b, report / "threads.html", Visit())
        page.locator("table.thread-index a").nth(1).click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/threads/0002.html#u-t--e") and page.locator("#u-t--e").is_visible()
        page.locator('a[rel="next"]').first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/threads/0003.html") and page.locator("section.doc").count() == 1
        screenshot(page, "scale-thread-page")
