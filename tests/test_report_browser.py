"""The report in a real browser: loads offline, no errors, no outside requests, hostile text inert."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import Visit, browser, open_page, outside, screenshot
from tests.e2e import ROOT, make_project, report_cmd, run_cmd, run_stages
from tests.report_tables import PAYLOAD

pytestmark = pytest.mark.browser
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def analysis_report(seed_project: Path) -> Path:
    """The seed report of the session's pipeline run (tests/seed_project.py): every page."""
    return seed_project / "reports"


@pytest.fixture(scope="module")
def seed_report(analysis_report: Path) -> Path:
    """The seed report (the same run as analysis_report)."""
    return analysis_report


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = {"name": "hostile", "path": "data/raw/hostile", "format": "thread_text"}
    project = make_project(tmp_path_factory.mktemp("hostile"), {"corpora": [corpus]},
                           raw={"hostile": FIXTURES / "xss"})
    run_stages(project, until="segment")  # too few units to embed and cluster
    run_cmd(project, "report", report_cmd(project))
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


ANALYSIS_PAGES = ("frames.html", "topics.html", "positions.html", "validation.html", "threads.html")


def rendered(page: object) -> None:
    """Wait until every chart on the page has been drawn by plotly."""
    n = page.locator("div.figure").count()
    page.wait_for_function(f"document.querySelectorAll('div.figure[data-rendered]').length === {n}", timeout=15000)


def quotes(page: object) -> tuple[str, list[str]]:
    """Title and quote texts of the quotes panel, once it is shown."""
    page.wait_for_selector("#quotes:not([hidden])", timeout=5000)
    return (page.locator("#quotes .quote-title").inner_text(),
            [t.strip() for t in page.locator("#quotes .quote > div:first-child").all_inner_texts()])


def test_seed_report_is_small(analysis_report: Path) -> None:
    size = sum(p.stat().st_size for p in analysis_report.rglob("*") if p.is_file())
    assert size < 10 * 1024 * 1024, size
    assert len(list(analysis_report.rglob("plotly.min.js"))) == 1


def test_analysis_pages_load_render_offline(analysis_report: Path) -> None:
    assert {p.name for p in analysis_report.glob("*.html")} >= set(ANALYSIS_PAGES)
    with browser() as b:
        for name in ANALYSIS_PAGES:
            visit = Visit()
            page = open_page(b, analysis_report / name, visit)
            rendered(page)
            assert page.locator(".js-plotly-plot").count() == page.locator("div.figure").count()
            assert visit.errors == [], (name, visit.errors)
            assert outside(visit.requests, analysis_report) == [], name
            screenshot(page, f"analysis-{name[:-5]}")
            page.close()


def click_point(page: object, selector: str) -> None:
    """A real mouse click on the centre of a chart element (plotly turns it into plotly_click)."""
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_frame_bar_and_cell_drill_down(analysis_report: Path) -> None:
    with browser() as b:
        page = open_page(b, analysis_report / "frames.html", Visit())
        rendered(page)
        expected = page.locator("table td[data-units]").first.get_attribute("data-units").split()
        page.locator("table td[data-units]").first.click()
        title, texts = quotes(page)
        assert title.endswith(f"({len(expected)})") and len(texts) == len(expected)
        page.locator("#quotes .close").click()
        click_point(page, "#fig-frames-overall .bars path")
        title, texts = quotes(page)
        n = int(title.rsplit("(", 1)[1].rstrip(")"))
        assert n > 0 and len(texts) == n and all(t.startswith("“") for t in texts)
        link = page.locator("#quotes .quote a").first.get_attribute("href")
        assert link.startswith("threads.html#u-seeds--")
        screenshot(page, "analysis-frames-quotes")


def test_topic_map_bubble_drill_down(analysis_report: Path) -> None:
    with browser() as b:
        page = open_page(b, analysis_report / "topics.html", Visit())
        rendered(page)
        n_units = page.evaluate("""() => {
            const gd = document.getElementById('fig-topics-map');
            const cd = gd.data[0].customdata[0];
            gd.emit('plotly_click', {points: [{customdata: cd, data: gd.data[0], pointIndex: 0}]});
            return cd[3].split(' ').length; }""")
        title, texts = quotes(page)
        assert title.startswith("Topic ") and len(texts) == n_units
        page.locator("#quotes .close").click()
        click_point(page, "#fig-topics-barchart .bars path")
        title, texts = quotes(page)
        assert title.startswith("Topic ") and texts
        screenshot(page, "analysis-topics-quotes")


def test_positions_cells_drill_down(analysis_report: Path) -> None:
    with browser() as b:
        page = open_page(b, analysis_report / "positions.html", Visit())
        rendered(page)
        cell = page.locator("table.positions td[data-units]").first
        ids = cell.get_attribute("data-units").split()
        cell.click()
        _, texts = quotes(page)
        assert len(texts) == len(ids)
        page.locator("#quotes .close").click()
        pair = page.locator("table.pairs td[data-units]").first
        reply_ids = pair.get_attribute("data-units").split()
        pair.click()
        _, texts = quotes(page)
        assert len(texts) == len(reply_ids)
        hrefs = page.locator("#quotes .quote a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert hrefs == [f"threads.html#u-{i.replace('/', '--')}" for i in reply_ids]
        click_point(page, "#fig-participant-map .scatterlayer .point")
        title, texts = quotes(page)
        assert texts
        screenshot(page, "analysis-positions-quotes")


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-built hostile tables of tests/report_tables.py written to Parquet and run through the report CLI."""
    import json

    from pipeline.common.schema import TABLES
    from pipeline.common.storage import write_table
    from pipeline.report.report_cli import main
    from tests.report_tables import all_tables, metrics
    from tests.test_report_pages import FIGS

    tmp = tmp_path_factory.mktemp("tiny")
    schema = {"skipped": "skipped_spans", "attributed": "clean_utterances"}
    specs = []
    for name, df in all_tables().items():
        write_table(df, TABLES[schema.get(name, name)], tmp / f"{name}.parquet")
        specs.append(f"{name}={tmp / name}.parquet")
    metric_files, fig_specs = [], []
    for stem, m in metrics().items():
        (tmp / f"{stem}.json").write_text(json.dumps(m))
        metric_files.append(str(tmp / f"{stem}.json"))
    for name, fig in FIGS.items():
        (tmp / f"{name}.json").write_text(json.dumps(fig))
        fig_specs.append(f"{name}={tmp / name}.json")
    out = tmp / "reports"
    assert main(["--params", str(ROOT / "params.yaml"), "--out-dir", str(out), "--headline", str(out / "m.json"),
                 "--tables", *specs, "--metrics-in", *metric_files, "--figures", *fig_specs,
                 "topics_absent=" + str(tmp / "missing.json")]) == 0
    return out


def test_hostile_text_inert_on_analysis_pages(tiny_report: Path) -> None:
    with browser() as b:
        for name in ANALYSIS_PAGES:
            visit = Visit()
            page = open_page(b, tiny_report / name, visit)
            rendered(page)
            for cell in page.locator("[data-units]").all():
                cell.dispatch_event("click")  # cells inside closed <details> too
            page.wait_for_timeout(200)
            assert page.evaluate("window.__pwned === undefined"), name
            assert visit.errors == [] and outside(visit.requests, tiny_report) == [], name
        page = open_page(b, tiny_report / "positions.html", Visit())
        page.locator("table.pairs td[data-units]").first.click()
        _, texts = quotes(page)
        assert texts == [f"“{PAYLOAD}”"]
        screenshot(page, "hostile-positions")


def test_frames_of_an_uncoded_corpus_are_marked_not_validated_on_every_analysis_page(tmp_path: Path) -> None:
    import shutil

    from pipeline.report.pages import build_pages
    from pipeline.report.render import ASSETS, PLOTLY_JS, asset_bytes, plotly_js_path
    from tests.report_tables import all_tables, metrics

    m = metrics()
    m["frames"]["per_corpus"] = {
        "seeds": {"units": 494, "coded_units": 494, "coded_documents": 5, "validated": True,
                  "unit_across_documents": {"macro_f1": 0.52, "kappa": 0.3, "n": 494, "ci95": {"macro_f1": [0.47, 0.57]}}},
        "t": {"units": 5, "coded_units": 0, "coded_documents": 0, "validated": False}}
    for name, html in build_pages(all_tables(), "R", "now", metrics=m).items():
        (tmp_path / name).write_text(html, encoding="utf-8")
    (tmp_path / "assets").mkdir()
    for name in ASSETS:
        (tmp_path / "assets" / name).write_bytes(asset_bytes(name))
    shutil.copyfile(plotly_js_path(), tmp_path / "assets" / PLOTLY_JS)
    with browser() as b:
        for name in ("frames.html", "threads.html", "positions.html", "topics.html"):
            visit = Visit()
            page = open_page(b, tmp_path / name, visit)
            note = page.locator(".not-validated")
            assert note.is_visible(), name
            text = note.inner_text()
            assert "Not validated on this corpus" in text and "t (5 units, none hand-coded)" in text, name
            assert "trained and validated on seeds" in text, name
            assert visit.errors == [], (name, visit.errors)
            screenshot(page, f"not-validated-{Path(name).stem}")
        page = open_page(b, tmp_path / "validation.html", Visit())
        rows = page.locator("table.per-corpus tr").all_inner_texts()
        assert any(r.startswith("t\t5\t0\t0\tnot validated on this corpus") for r in rows), rows
        assert any(r.startswith("seeds\t494\t494\t5\tyes\t0.520") for r in rows), rows
