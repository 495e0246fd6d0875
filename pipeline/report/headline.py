"""metrics/headline.json: the few numbers a reader compares between runs (`dvc metrics show` / `dvc metrics diff`).

Each number is declared once: the stage metrics files keep every detail (read them with
`dvc metrics show metrics/frames.json` or in the report), this file only the headline, flat per area.
"""

from __future__ import annotations

from typing import Any

from pipeline.report import overview


def _get(m: dict[str, Any] | None, *path: str) -> Any:
    """m[path[0]][path[1]]... or None where a level is missing."""
    for key in path:
        if not isinstance(m, dict) or key not in m:
            return None
        m = m[key]
    return m


def build_headline(corpus_counts: dict[str, dict[str, Any]], stage: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The headline numbers from the corpus counts and the stage metrics files (keyed by file stem)."""
    frames, positions, seg = stage.get("frames"), stage.get("positions"), stage.get("segment")
    cluster, stability, conservation = stage.get("cluster"), stage.get("stability"), stage.get("conservation")
    out: dict[str, Any] = {
        "corpora": {c: {"documents": n["documents"], "comments": n["top_level"] + n["replies"],
                        "participants": n["participants"], "problems": n["problems"]}
                    for c, n in sorted(corpus_counts.items())},
        "units": _get(seg, "units"),
        "frames": {
            "method": _get(frames, "method"),
            "unit_macro_f1_across_documents": _get(frames, "across_documents", "unit", "macro_f1"),
            "utterance_macro_f1_across_documents": _get(frames, "across_documents", "utterance", "macro_f1"),
            "unit_macro_f1_within_documents": _get(frames, "unit", "macro_f1"),
            "utterance_macro_f1_within_documents": _get(frames, "utterance", "macro_f1"),
            "kappa_independent_coder": _get(frames, "intercoder_independent", "kappa"),
        },
        "roles": {"macro_f1_supervised_cv": _get(positions, "supervised_cv", "macro_f1"),
                  "macro_f1_zeroshot": _get(positions, "zeroshot", "macro_f1")},
        "topics": {"n_topics": _get(cluster, "n_topics"), "outlier_share": _get(cluster, "outlier_share"),
                   "confident_share": _get(cluster, "confident_share"),
                   "runs_n_topics_min": _get(cluster, "runs_n_topics", "min"),
                   "runs_n_topics_max": _get(cluster, "runs_n_topics", "max"),
                   "runs_pairwise_ari": _get(stability, "ari_mean")},
        "off_topic_share": {c: v.get("off_topic_share") for c, v in
                            sorted((_get(frames, "relevance", "per_corpus") or {}).items())},
        "conservation": {c: bool(_get(conservation, c, "balanced")) for c in sorted(conservation or {})},
    }
    return _drop_none(out)


def _drop_none(obj: Any) -> Any:
    """Leave out numbers a run did not produce (a stage absent, a metric not computed)."""
    if isinstance(obj, dict):
        kept = {k: _drop_none(v) for k, v in obj.items()}
        return {k: v for k, v in kept.items() if v is not None and v != {}}
    return obj


def headline_of(tables: dict[str, Any], stage: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The headline of a report run: corpus counts from the tables, the rest from the stage metrics."""
    rows = overview.corpus_rows(tables["documents"], tables["utterances"], tables["problems"], tables.get("participants"))
    return build_headline({r["corpus"]: r for r in rows}, stage)
