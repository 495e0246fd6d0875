"""Rendering helpers: one Jinja environment with autoescaping, the page layout, static assets."""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

ASSETS = ("style.css", "report.js")


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
    return env


def anchor(utterance_id: str) -> str:
    """HTML id of an utterance or unit (ids contain '/', kept but prefixed)."""
    return "u-" + utterance_id.replace("/", "--")


def render(env: Environment, template: str, nav: list[tuple[str, str]], **context: Any) -> str:
    """Render one page with the shared navigation."""
    return env.get_template(template).render(nav=nav, **context)


def asset_bytes(name: str) -> bytes:
    """Bytes of a bundled asset (CSS / JS)."""
    return resources.files("pipeline.report").joinpath("assets", name).read_bytes()
