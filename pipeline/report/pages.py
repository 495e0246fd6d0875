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
from pipeline.report.scale import INDEX, Limits, ThreadLinks, thread_links, top
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
    limits: Limits = field(default_factory=Limits)
    links: ThreadLinks = field(default_factory=ThreadLinks)  # where each document's thread is


def available_pages(tables: dict[str, pd.DataFrame], metrics: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """Navigation entries of the pages whose tables (and metrics) are present."""
    have = set(tables) | ({METRICS} if metrics and has_validation(metrics) else set())
    return [(f, label) for f, label, needs in PAGES if all(n in have for n in needs)]


def _counts(values: list[str]) -> list[tuple[str, int]]:
    """(value, count) pairs, most frequent first (ties: value)."""
    c: dict[str, int] = {}
    for v in values:
        c[v] = c.get(v, 0) + 1
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))


def _overview(data: ReportData) -> dict[str, Any]:
    tables = data.tables
    m = data.limits.max_rows
    docs, utts = tables["documents"], tables["utterances"]
    removals = tables.get("removals")
    documents = overview.document_rows(docs, utts)
    if m is not None and len(documents) > m:  # the largest threads first; every document is in the threads index
        documents = sorted(documents, key=lambda d: -(d["top_level"] + d["replies"]))
    documents, docs_out = top(documents, m)
    skipped_all = tables["skipped"].to_dict("records")
    skipped, skipped_out = top(skipped_all, m)
    problems_all = tables["problems"].to_dict("records")
    problems, problems_out = top(problems_all, m)
    summary = overview.removal_summary(removals) if removals is not None else []
    for r in summary:
        r["utterances"], r["left_out"] = top(r["utterances"], m)
    people, people_out = top(overview.participant_rows(tables.get("participants")), m)
    for p in people:
        p["documents"], p["documents_left_out"] = top(p["documents"], m)
    return {
        "corpora": overview.corpus_rows(docs, utts, tables["problems"], tables.get("participants")),
        "documents": documents, "documents_left_out": docs_out,
        "n_sources": int(docs.source_file.nunique()),
        "skipped": skipped, "skipped_left_out": skipped_out,
        "skipped_reasons": _counts([r["reason"] for r in skipped_all]) if skipped_out else [],
        "problems": problems, "problems_left_out": problems_out,
        "problem_reasons": _counts([f"{r['stage']}: {r['reason']}" for r in problems_all]) if problems_out else [],
        "removal_summary": summary,
        "participants": people, "participants_left_out": people_out,
    }


def _thread_pages(data: ReportData) -> dict[str, dict[str, Any]]:
    """{file: context} of the thread view: threads.html with every thread, or (paginated) threads.html as the
    index of documents and one page per block of documents under threads/."""
    tables = data.tables
    utts = tables.get("attributed", tables["utterances"])
    units, unit_frames = tables.get("units"), tables.get("unit_frames")
    order = frame_order(unit_frames, tables.get("utterance_frames")) if unit_frames is not None else []
    legend = [{"frame": f, "index": i} for i, f in enumerate(order)]
    docs = tables["documents"]
    if not data.links.paginated:
        return {INDEX: {"documents": threads.thread_documents(docs, utts, units, unit_frames, order),
                        "frame_legend": legend, "pager": None}}
    files = list(dict.fromkeys(data.links.pages[d] for d in docs["doc_id"]))
    page_of = data.links.pages
    n_utts = utts.groupby("doc_id").size()
    index = [{"doc_id": d.doc_id, "title": overview.known(d.title), "post_author": overview.known(d.post_author),
              "date": overview.known(d.date), "n_utterances": int(n_utts.get(d.doc_id, 0)), "page": page_of[d.doc_id],
              "number": files.index(page_of[d.doc_id]) + 1} for d in docs.itertuples(index=False)]
    out: dict[str, dict[str, Any]] = {INDEX: {"index": index, "n_pages": len(files), "frame_legend": legend}}
    def split(df: pd.DataFrame | None, doc_ids: pd.Series | None = None) -> dict[str, pd.DataFrame]:
        if df is None:
            return {}
        return dict(iter(df.groupby((df["doc_id"] if doc_ids is None else doc_ids).map(page_of), sort=False)))

    by_doc, by_utt, by_unit = split(docs), split(utts), split(units)
    by_frame: dict[str, pd.DataFrame] = {}
    if unit_frames is not None and units is not None:
        unit_doc = dict(zip(units["unit_id"], units["doc_id"], strict=True))
        by_frame = split(unit_frames, unit_frames["unit_id"].map(unit_doc).fillna(""))
    for i, f in enumerate(files):
        page_units = by_unit.get(f, units.iloc[:0]) if units is not None else None
        frames = by_frame.get(f, unit_frames.iloc[:0]) if unit_frames is not None else None
        documents = threads.thread_documents(by_doc[f], by_utt.get(f, utts.iloc[:0]), page_units, frames, order)
        out[f] = {"documents": documents, "frame_legend": legend, "root": "../",
                  "pager": {"number": i + 1, "count": len(files), "prev": files[i - 1] if i else None,
                            "next": files[i + 1] if i + 1 < len(files) else None,
                            "first": documents[0]["doc_id"], "last": documents[-1]["doc_id"]}}
    return out


def _frames(data: ReportData) -> dict[str, Any]:
    t = data.tables
    return frames_context(t["unit_frames"], t["units"], t.get("documents"), t.get("utterance_frames"), data.examples,
                          data.limits)


def _topics(data: ReportData) -> dict[str, Any]:
    t = data.tables
    return topics_context(t["topics"], t["unit_topics"], t["units"], t.get("unit_frames"), t.get("utterance_frames"),
                          t.get("documents"), data.figures, hierarchy=t.get("topic_hierarchy"), limits=data.limits)


def _positions(data: ReportData) -> dict[str, Any]:
    t = data.tables
    return positions_context(t["positions"], t["units"], t.get("relations"), t.get("participant_map"),
                             t.get("replies"), t.get("reply_pairs"), t.get("participants"), data.limits)


def _validation(data: ReportData) -> dict[str, Any]:
    t = data.tables
    confusion = {**role_confusion(t.get("unit_roles")), **data.confusion}
    return validation_context(data.metrics, confusion, t.get("units"), t.get("attributed", t.get("utterances")),
                              data.limits)


BUILDERS: dict[str, Callable[[ReportData], dict[str, Any]]] = {
    "index.html": _overview, "frames.html": _frames, "topics.html": _topics, "positions.html": _positions,
    "validation.html": _validation}


def links_of(tables: dict[str, pd.DataFrame], limits: Limits) -> tuple[ThreadLinks, int]:
    """Where each document's thread goes (report.thread_page_utterances per page) and how many thread pages."""
    if "documents" not in tables or "utterances" not in tables:
        return ThreadLinks(), 0
    utts = tables.get("attributed", tables["utterances"])
    sizes = {str(k): int(v) for k, v in utts.groupby("doc_id").size().items()}
    links, pages = thread_links([str(d) for d in tables["documents"]["doc_id"]], sizes, limits.thread_page_utterances)
    return links, len(pages)


def build_pages(tables: dict[str, pd.DataFrame], title: str, generated: str, prov: dict[str, Any] | None = None,
                metrics: dict[str, Any] | None = None, figures: dict[str, dict[str, Any]] | None = None,
                examples: int = 3, confusion: dict[str, pd.DataFrame] | None = None,
                limits: Limits | None = None) -> dict[str, str]:
    """All pages as {file name relative to the report folder: html}; `confusion` holds per-item confusion rows by
    dotted evaluation path; `limits` keeps every page bounded on a large corpus (thread pages under threads/)."""
    env = environment()
    limits = limits or Limits()
    links, _ = links_of(tables, limits)
    data = ReportData(tables, metrics or {}, figures or {}, examples, confusion or {}, limits, links)
    nav = available_pages(tables, data.metrics)
    validity = corpus_validity(data.metrics.get("frames"))
    trained_on = [r["corpus"] for r in validity if r["validated"]]
    common = {"report_title": title, "generated": generated, "thread_href": links.href}
    pages = {}
    for name, label in nav:
        if name == "provenance.html":
            context = prov or provenance.provenance_context("unknown", False, None, {}, {}, None, generated)
            pages[name] = render(env, name, nav, current=name, page_title=label, **{**context, "report_title": title})
            continue
        built = _thread_pages(data) if name == INDEX else {name: BUILDERS[name](data)}
        for file, page in built.items():
            context = {**common, **page}
            if name in ANALYSIS_PAGES:
                context.update(unvalidated=not_validated(validity), trained_on=trained_on)
            if name == "validation.html":
                context.update(corpus_validity=validity)
            if context.get("units_data"):
                context["thread_pages"] = links.subset(u.get("utterance_id") or i
                                                       for i, u in context["units_data"].items())
            template = "threads_index.html" if file == INDEX and "index" in page else name
            pages[file] = render(env, template, nav, current=name, page_title=label, **context)
    return pages
