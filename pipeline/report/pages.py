"""Build every report page from the tables that exist (pure: tables in, {file name: html} out)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.report import overview, provenance, threads
from pipeline.report.frames_page import frame_order, frames_context
from pipeline.report.positions_page import positions_context
from pipeline.report.render import environment, render
from pipeline.report.topics_page import topics_context
from pipeline.report.validation_page import has_validation, role_confusion, validation_context
from pipeline.report.validity import ANALYSIS_PAGES, corpus_validity, not_validated

METRICS = "@metrics"  # pseudo-need: stage metrics holding an evaluation or a stability run

# (file, label, tables it needs); a page is written only when its tables are present.
PAGES: list[tuple[str, str, tuple[str, ...]]] = [
    ("index.html", "Overview", ("documents", "utterances", "problems", "skipped")),
    ("threads.html", "Threads", ("documents", "utterances")),
    ("frames.html", "Frames", ("unit_frames", "units")),
    ("topics.html", "Topics", ("topics", "unit_topics", "units")),
    ("positions.html", "Positions", ("positions", "units")),
    ("validation.html", "Validation", (METRICS,)),
    ("provenance.html", "Provenance", ()),
]


@dataclass(frozen=True)
class ReportData:
    """What the pages are built from: tables by name, stage metrics by file stem, plotly figures by name."""

    tables: dict[str, pd.DataFrame]
    metrics: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    examples: int = 3
    confusion: dict[str, pd.DataFrame] = field(default_factory=dict)  # per-item confusion rows by evaluation path


def available_pages(tables: dict[str, pd.DataFrame], metrics: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """Navigation entries of the pages whose tables (and metrics) are present."""
    have = set(tables) | ({METRICS} if metrics and has_validation(metrics) else set())
    return [(f, label) for f, label, needs in PAGES if all(n in have for n in needs)]


def _overview(data: ReportData) -> dict[str, Any]:
    tables = data.tables
    docs, utts = tables["documents"], tables["utterances"]
    removals = tables.get("removals")
    return {
        "corpora": overview.corpus_rows(docs, utts, tables["problems"], tables.get("participants")),
        "documents": overview.document_rows(docs, utts),
        "n_sources": int(docs.source_file.nunique()),
        "skipped": tables["skipped"].to_dict("records"),
        "problems": tables["problems"].to_dict("records"),
        "removal_summary": overview.removal_summary(removals) if removals is not None else [],
        "removals": removals.to_dict("records") if removals is not None else [],
        "participants": overview.participant_rows(tables.get("participants")),
    }


def _threads(data: ReportData) -> dict[str, Any]:
    tables = data.tables
    utts = tables.get("attributed", tables["utterances"])
    unit_frames = tables.get("unit_frames")
    order = frame_order(unit_frames, tables.get("utterance_frames")) if unit_frames is not None else []
    return {"documents": threads.thread_documents(tables["documents"], utts, tables.get("units"), unit_frames, order),
            "frame_legend": [{"frame": f, "index": i} for i, f in enumerate(order)]}


def _frames(data: ReportData) -> dict[str, Any]:
    t = data.tables
    return frames_context(t["unit_frames"], t["units"], t.get("documents"), t.get("utterance_frames"), data.examples)


def _topics(data: ReportData) -> dict[str, Any]:
    t = data.tables
    return topics_context(t["topics"], t["unit_topics"], t["units"], t.get("unit_frames"), t.get("utterance_frames"),
                          t.get("documents"), data.figures, hierarchy=t.get("topic_hierarchy"))


def _positions(data: ReportData) -> dict[str, Any]:
    t = data.tables
    return positions_context(t["positions"], t["units"], t.get("relations"), t.get("participant_map"),
                             t.get("replies"), t.get("reply_pairs"), t.get("participants"))


def _validation(data: ReportData) -> dict[str, Any]:
    t = data.tables
    confusion = {**role_confusion(t.get("unit_roles")), **data.confusion}
    return validation_context(data.metrics, confusion, t.get("units"), t.get("attributed", t.get("utterances")))


BUILDERS: dict[str, Callable[[ReportData], dict[str, Any]]] = {
    "index.html": _overview, "threads.html": _threads, "frames.html": _frames, "topics.html": _topics,
    "positions.html": _positions, "validation.html": _validation}


def build_pages(tables: dict[str, pd.DataFrame], title: str, generated: str, prov: dict[str, Any] | None = None,
                metrics: dict[str, Any] | None = None, figures: dict[str, dict[str, Any]] | None = None,
                examples: int = 3, confusion: dict[str, pd.DataFrame] | None = None) -> dict[str, str]:
    """All pages as {file name: html}; `confusion` holds per-item confusion rows by dotted evaluation path."""
    env = environment()
    data = ReportData(tables, metrics or {}, figures or {}, examples, confusion or {})
    nav = available_pages(tables, data.metrics)
    validity = corpus_validity(data.metrics.get("frames"))
    trained_on = [r["corpus"] for r in validity if r["validated"]]
    common = {"report_title": title, "generated": generated}
    pages = {}
    for name, label in nav:
        if name == "provenance.html":
            context = prov or provenance.provenance_context("unknown", False, None, {}, {}, None, generated)
            context = {**context, "report_title": title}
        else:
            context = {**common, **BUILDERS[name](data)}
            if name in ANALYSIS_PAGES:
                context.update(unvalidated=not_validated(validity), trained_on=trained_on)
            if name == "validation.html":
                context.update(corpus_validity=validity)
        pages[name] = render(env, name, nav, current=name, page_title=label, **context)
    return pages
