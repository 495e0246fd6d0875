"""Build every report page from the tables that exist (pure: tables in, {file name: html} out)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.report import overview, provenance, threads
from pipeline.report.render import environment, render

# (file, label, tables it needs); a page is written only when its tables are present.
PAGES: list[tuple[str, str, tuple[str, ...]]] = [
    ("index.html", "Overview", ("documents", "utterances", "problems", "skipped")),
    ("threads.html", "Threads", ("documents", "utterances")),
    ("provenance.html", "Provenance", ()),
]


def available_pages(tables: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """Navigation entries of the pages whose tables are present."""
    return [(f, label) for f, label, needs in PAGES if all(n in tables for n in needs)]


def _overview(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
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


def _threads(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    utts = tables.get("attributed", tables["utterances"])
    return {"documents": threads.thread_documents(tables["documents"], utts, tables.get("units"),
                                                  tables.get("unit_frames"))}


BUILDERS = {"index.html": _overview, "threads.html": _threads}


def build_pages(tables: dict[str, pd.DataFrame], title: str, generated: str,
                prov: dict[str, Any] | None = None) -> dict[str, str]:
    """All pages as {file name: html}."""
    env = environment()
    nav = available_pages(tables)
    common = {"report_title": title, "generated": generated}
    pages = {}
    for name, label in nav:
        if name == "provenance.html":
            context = prov or provenance.provenance_context("unknown", False, None, {}, {}, None, generated)
            context = {**context, "report_title": title}
        else:
            context = {**common, **BUILDERS[name](tables)}
        pages[name] = render(env, name, nav, current=name, page_title=label, **context)
    return pages
