"""The offline template for `dvc plots show`: vega, vega-lite and vega-embed inlined at the versions dvc-render
asks for, checksummed, licensed; in Chromium the plots render with every non-file request blocked and none made."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.report.vega_template import (
    MANIFEST,
    ORDER,
    TEMPLATE,
    Vendored,
    build_template,
    dvc_render_versions,
    inlined,
    strip_source_map,
)
from tests.browser import browser, screenshot

VENDOR = Path(__file__).resolve().parents[1] / "pipeline" / "report" / "assets" / "vega"
LOCAL = ("file:", "data:", "blob:", "about:")


def test_template_inlines_dvc_render_versions_checksummed() -> None:
    text = (VENDOR / TEMPLATE).read_text(encoding="utf-8")
    libs = inlined(text)
    assert list(libs) == list(ORDER)
    assert {n: v for n, (v, _) in libs.items()} == dvc_render_versions() == {
        "vega": "5.20.2", "vega-lite": "5.2.0", "vega-embed": "6.18.2"}
    manifest = {p["name"]: p for p in json.loads((VENDOR / MANIFEST).read_text())["packages"]}
    for name, (version, js) in libs.items():
        assert manifest[name]["version"] == version
        assert hashlib.sha256(js.encode("utf-8")).hexdigest() == manifest[name]["sha256"], name
        assert manifest[name]["npm_integrity"].startswith("sha512-")
        assert "Redistribution and use" in (VENDOR / f"LICENSE-{name}").read_text()
    assert text.count("{plot_divs}") == 1 and "{scripts}" not in text  # DVC adds no CDN tags
    assert "sourceMappingURL" not in text and "<script src" not in text
    rebuilt = build_template([Vendored(n, v, manifest[n]["licence"], js) for n, (v, js) in libs.items()])
    assert rebuilt == text  # the committed file is exactly what the generator writes
    assert sorted(p.name for p in VENDOR.iterdir()) == [
        "LICENSE-vega", "LICENSE-vega-embed", "LICENSE-vega-lite", TEMPLATE, MANIFEST]


def test_unsafe_scripts_refused() -> None:
    with pytest.raises(ValueError, match=r"x@1: cannot be inlined, contains \['</script'\]"):
        build_template([Vendored("x", "1", "MIT", 'var a = "</SCRIPT>";')])
    with pytest.raises(ValueError, match="plot_divs"):
        build_template([Vendored("x", "1", "MIT", 'var a = "{plot_divs}";')])
    assert strip_source_map("f();\n//# sourceMappingURL=x.min.js.map\n") == "f();\n"


@pytest.fixture(scope="module")
def plots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`dvc plots show` of a bar and a confusion plot in a scratch DVC repo: with the template and with DVC's own."""
    repo = tmp_path_factory.mktemp("dvcplots")
    (repo / "frames.csv").write_text("frame,units\nmarketing-first,12\nother,5\n")
    (repo / "confusion.csv").write_text("actual,predicted,id\na,a,u1\na,b,u2\nb,b,u3\n")
    (repo / "dvc.yaml").write_text("plots:\n  - frames.csv:\n      template: bar_horizontal\n      x: units\n"
                                   "      y: frame\n  - confusion.csv:\n      template: confusion\n"
                                   "      x: actual\n      y: predicted\n")
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run([*dvc, "init", "--no-scm", "-q"], cwd=repo, check=True)
    out = {}
    for name, extra in (("offline", ["--html-template", str(VENDOR / TEMPLATE)]), ("cdn", [])):
        subprocess.run([*dvc, "plots", "show", *extra, "-o", str(repo / name)], cwd=repo, check=True,
                       capture_output=True)
        out[name] = repo / name / "index.html"
    return out


def visit(b: object, path: Path) -> tuple[object, list[str], list[str]]:
    """Open a page with every request that is not a local file blocked; (page, blocked URLs, errors)."""
    page = b.new_page(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: object) -> None:
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, blocked, errors


CHARTS = """() => Array.from(document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks'))
                  .filter(c => c.getBoundingClientRect().width > 50).length"""


@pytest.mark.browser
def test_dvc_plots_render_offline_with_template(plots: dict[str, Path]) -> None:
    with browser() as b:
        page, blocked, errors = visit(b, plots["offline"])
        page.wait_for_function(f"({CHARTS})() === 2", timeout=15000)
        assert blocked == [] and errors == []
        assert page.evaluate("typeof vega.version + typeof vegaLite.version + vegaEmbed.version") == \
            "stringstring6.18.2"
        screenshot(page, "dvc-plots-offline")
        page, blocked, _ = visit(b, plots["cdn"])  # control: DVC's own page needs the network
        page.wait_for_timeout(500)
        assert sorted(blocked) == ["https://cdn.jsdelivr.net/npm/vega-embed@6.18.2",
                                   "https://cdn.jsdelivr.net/npm/vega-lite@5.2.0",
                                   "https://cdn.jsdelivr.net/npm/vega@5.20.2"]
        assert page.evaluate(CHARTS) == 0
