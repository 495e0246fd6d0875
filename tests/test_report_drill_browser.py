"""In Chromium: a real click on a hierarchy merge dot lists the units of every topic under it, and a real click
on an intercoder confusion cell lists its items (hand-built tables, no pipeline run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.common.eval_items import combine, eval_items
from pipeline.report.pages import build_pages
from pipeline.report.report_cli import write_site
from pipeline.report.validation_page import item_confusion
from tests.browser import Visit, browser, open_page, outside, screenshot
from tests.report_tables import base_tables
from tests.test_report_browser import quotes, rendered
from tests.test_report_hierarchy import DENDRO, topic_tables3

pytestmark = pytest.mark.browser
METRICS = {"frames": {"intercoder": {"n": 3, "kappa": 0.4, "confusion": {
    "labels": ["A", "B"], "rows_coder1_cols_coder2": [[1, 1], [0, 1]]}}}}


def click_dot(page: object, fig: str, from_end: int, index: int = 0) -> None:
    """A real click on marker `index` of the `from_end`-th trace from the end, once plotly's hover is on it."""
    target = page.locator(f"#{fig} .scatterlayer .trace:nth-last-child({from_end}) .point").nth(index)
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_function(f"""() => {{ const gd = document.getElementById('{fig}'), h = gd._hoverdata || [];
        return h.length > 0 && h[0].curveNumber === gd.data.length - {from_end} && h[0].pointNumber === {index}; }}""",
                           timeout=5000)
    page.wait_for_timeout(400)  # two clicks on a plot within 300 ms make a double click (zoom reset), not a click
    page.mouse.click(x, y)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Topics and validation pages of the hand-built tables, written with their assets."""
    out = tmp_path_factory.mktemp("drill")
    items = combine([eval_items("intercoder", ["t/d/post/s0", "t/d/c1/s0", "t/e/post/s0"], ["A", "A", "B"],
                                ["A", "B", "B"], {}, "unit")])
    pages = build_pages({**base_tables(), **topic_tables3()}, "R", "now", metrics=METRICS,
                        figures={"topics_hierarchy": DENDRO}, confusion=item_confusion("frames", items))
    write_site(pages, out)
    return out


def test_merge_dot_lists_units_of_all_topics_below(report: Path) -> None:
    with browser() as b:
        visit = Visit()
        page = open_page(b, report / "topics.html", visit)
        rendered(page)
        click_dot(page, "fig-topics-hierarchy", 2)  # merge of topics 0 and 2
        title, texts = quotes(page)
        assert title == "Merge 3 · same_name (topics 0, 2) (3)"
        assert texts == ["“CRM is a tool.”", "“Buy it.”", "“Strategy first.”"]
        hrefs = page.locator("#quotes .quote a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert hrefs == ["threads.html#u-t--d--post", "threads.html#u-t--d--post", "threads.html#u-t--e--post"]
        screenshot(page, "drill-topic-merge")
        page.locator("#quotes .close").click()
        click_dot(page, "fig-topics-hierarchy", 1)  # leaf dot at x = 0 (topic 2, top)
        title, texts = quotes(page)
        assert title == "Topic 2_c (1)" and texts == ["“Strategy first.”"]
        page.locator("#quotes .close").click()
        page.locator("table.merges td[data-units]").last.dispatch_event("click")  # the table, inside <details>
        title, texts = quotes(page)
        assert title.startswith("Merge 4 · same_name (topics 0, 1, 2)") and len(texts) == 4
        assert visit.errors == [] and outside(visit.requests, report) == []


def test_intercoder_cell_lists_its_items(report: Path) -> None:
    with browser() as b:
        visit = Visit()
        page = open_page(b, report / "validation.html", visit)
        rendered(page)
        x, y = page.evaluate("""() => {
            const gd = document.getElementById('fig-confusion-0'), L = gd._fullLayout, r = gd.getBoundingClientRect();
            return [r.left + L.xaxis._offset + L.xaxis.l2p(1), r.top + L.yaxis._offset + L.yaxis.l2p(0)]; }""")
        page.mouse.move(x, y)
        page.wait_for_function("(document.getElementById('fig-confusion-0')._hoverdata || []).length > 0")
        page.mouse.click(x, y)  # row coder1 A, column coder2 B
        title, texts = quotes(page)
        assert title == "coder1 A · coder2 B (1)" and texts == ["“<script>window.__pwned = 1</script><img src=x "
                                                                 "onerror=\"window.__pwned=2\">”"]
        assert page.evaluate("window.__pwned === undefined")
        screenshot(page, "drill-intercoder-cell")
        assert visit.errors == [] and outside(visit.requests, report) == []
