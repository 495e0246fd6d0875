"""Rendering helpers: one Jinja environment with autoescaping, the page layout, static assets."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

ASSETS = ("style.css", "report.js")
PLOTLY_JS = "plotly.min.js"


def environment() -> Environment:
    """The template environment; every variable is HTML-escaped unless marked safe in a template."""
    env = Environment(
        loader=PackageLoader("pipeline.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["paragraphs"] = lambda text: [p for p in str(text).split("\n\n") if p.strip()]
    env.filters["anchor"] = anchor
    env.filters["json_script"] = json_script
    env.filters["units_attr"] = lambda ids: " ".join(ids)
    return env


def json_script(obj: Any) -> Markup:
    """JSON safe to place inside <script type="application/json"> (no '<', '>' or '&' survive)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def anchor(utterance_id: str) -> str:
    """HTML id of an utterance or unit (ids contain '/', kept but prefixed)."""
    return "u-" + utterance_id.replace("/", "--")


def render(env: Environment, template: str, nav: list[tuple[str, str]], **context: Any) -> str:
    """Render one page with the shared navigation (`root`: the way up to the report folder, '../' under threads/)."""
    return env.get_template(template).render(nav=nav, **{"root": "", **context})


def asset_bytes(name: str) -> bytes:
    """Bytes of a bundled asset (CSS / JS)."""
    return resources.files("pipeline.report").joinpath("assets", name).read_bytes()


def plotly_js_path() -> Path:
    """The plotly.min.js shipped inside the plotly package (one copy goes into reports/assets)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
