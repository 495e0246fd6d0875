"""Which corpora the frames (and the roles and positions built on them) are validated on: per-corpus rows from the
frame stage's metrics, and the corpora every analysis page must mark as not validated."""

from __future__ import annotations

from typing import Any

ANALYSIS_PAGES = ("threads.html", "frames.html", "topics.html", "positions.html")


def corpus_validity(frames_metrics: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per corpus: units, coded units and documents, validated or not, across-document macro-F1 with CI."""
    rows = []
    for corpus, m in sorted(((frames_metrics or {}).get("per_corpus") or {}).items()):
        across = m.get("unit_across_documents") or {}
        rows.append({"corpus": corpus, "units": m.get("units"), "coded_units": m.get("coded_units", 0),
                     "coded_documents": m.get("coded_documents", 0), "validated": bool(m.get("validated")),
                     "macro_f1": across.get("macro_f1"), "ci95": (across.get("ci95") or {}).get("macro_f1"),
                     "n": across.get("n")})
    return rows


def not_validated(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The corpora without coded units (their frames, roles and positions are a model's guesses there)."""
    return [r for r in rows if not r["validated"]]
