"""Topics page: BERTopic's figures made clickable, topic table, topics per frame and per document (pure)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pandas as pd

from pipeline.report.drill import heatmap, ids_attr, point, unit_lookup
from pipeline.report.frames_page import frame_order
from pipeline.report.hierarchy import clickable_merges, merge_rows
from pipeline.report.scale import OTHERS, Ids, Limits, cap_rows, finish

OUTLIER = -1
TOPIC_OTHERS = OTHERS + "-topics"  # column of the topics left out of the cross-tabs (rows may have OTHERS too)
FIGURE_TITLES = {"topics_map": "Intertopic distance map", "topics_barchart": "Top keywords per topic",
                 "topics_hierarchy": "Topic hierarchy"}


def topic_units(unit_topics: pd.DataFrame) -> dict[int, list[str]]:
    """{topic: sorted unit ids}."""
    return {int(t): sorted(g["unit_id"]) for t, g in unit_topics.groupby("topic", sort=True)}


def short_label(topic: int, keywords: list[str]) -> str:
    """'3 · crm, social' (outliers: '-1 · outliers')."""
    return f"{topic} · outliers" if topic == OUTLIER else f"{topic} · {', '.join(keywords[:2])}"


def known(value: Any) -> float | None:
    """A number, or None when missing (None or NaN)."""
    return None if value is None or value != value else float(value)


def shown_topics(topics: pd.DataFrame, m: int | None) -> set[int]:
    """Topic ids of the table: all, or the outliers and the m largest others (ties: lower id)."""
    ids = [int(t) for t in topics["topic"]]
    inner = [t for t in ids if t != OUTLIER]
    if m is None or len(inner) <= m:
        return set(ids)
    size = dict(zip((int(t) for t in topics["topic"]), (int(n) for n in topics["size"]), strict=True))
    return set(sorted(inner, key=lambda t: (-size[t], t))[:m]) | ({OUTLIER} & set(ids))


def topic_rows(topics: pd.DataFrame, by_topic: dict[int, list[str]], n_keywords: int,
               keep: set[int] | None = None) -> list[dict[str, Any]]:
    """The topic table: size, share, keywords, representative units, all units; outliers last; topics not in
    `keep` summed in one row before the outliers."""
    rows, rest = [], []
    for r in topics.sort_values("topic", key=lambda s: s.map(lambda t: (t == OUTLIER, t))).to_dict("records"):
        t = int(r["topic"])
        if keep is not None and t not in keep:
            rest.append(r)
            continue
        reps = [{"unit_id": u, "text": x, "units": Ids([u])}
                for u, x in zip(r["representative_unit_ids"], r["representative_texts"], strict=True)]
        rows.append({"topic": t, "label": str(t), "name": r["name"], "size": int(r["size"]), "share": float(r["share"]),
                     "keywords": list(r["keywords"])[:n_keywords], "representatives": reps,
                     "units": ids_attr(by_topic.get(t, [])), "outlier": t == OUTLIER, "others": False,
                     "stability": known(r.get("stability")), "confidence": known(r.get("mean_confidence")),
                     "stable": None if known(r.get("stable")) is None else bool(r["stable"])})
    if rest:
        other = {"topic": None, "label": f"{len(rest)} other topics", "name": "", "size": sum(int(r["size"]) for r in rest),
                 "share": sum(float(r["share"]) for r in rest), "keywords": [], "representatives": [],
                 "units": ids_attr(sorted(u for r in rest for u in by_topic.get(int(r["topic"]), []))),
                 "outlier": False, "others": True, "stability": None, "confidence": None, "stable": None}
        rows.insert(len(rows) - int(bool(rows) and rows[-1]["outlier"]), other)
    return rows


def _fit(fig: dict[str, Any]) -> None:
    """Let the figure fill its container (BERTopic fixes 1000 px widths); the page heading replaces its title."""
    fig.setdefault("layout", {}).pop("width", None)
    fig["layout"].pop("title", None)
    fig["layout"]["autosize"] = True


def clickable_map(fig: dict[str, Any], by_topic: dict[int, list[str]]) -> dict[str, Any]:
    """Intertopic map: append each bubble's unit ids to its customdata [topic, name, size] (meta.units_at)."""
    out = copy.deepcopy(fig)
    for trace in out.get("data", []):
        cd = trace.get("customdata")
        if isinstance(cd, list) and cd and isinstance(cd[0], list):
            trace["customdata"] = [[*row[:3], Ids(by_topic.get(int(row[0]), []), trail=True)] for row in cd]
            trace["meta"] = {"units_at": 3}
    _fit(out)
    return out


def clickable_barchart(fig: dict[str, Any], by_topic: dict[int, list[str]], texts: dict[str, str]) -> dict[str, Any]:
    """Keyword bars: each bar -> the topic's units containing the keyword (all its units when none do)."""
    out = copy.deepcopy(fig)
    titles = [a.get("text", "") for a in out.get("layout", {}).get("annotations", [])]
    for trace, title in zip(out.get("data", []), titles, strict=False):
        m = re.search(r"-?\d+", title)
        if trace.get("type") != "bar" or not m or not isinstance(trace.get("y"), list):
            continue
        ids = by_topic.get(int(m.group()), [])
        cd = []
        for word in (str(w).strip() for w in trace["y"]):
            hits = [u for u in ids if word.casefold() in texts.get(u, "").casefold()] or ids
            cd.append(point(hits, f"{title} · {word}"))
        trace["customdata"] = cd
        trace["hovertemplate"] = "%{customdata.label}: %{x:.3f}<extra>click for units</extra>"
    _fit(out)
    return out


def clickable_hierarchy(fig: dict[str, Any], by_topic: dict[int, list[str]]) -> dict[str, Any]:
    """Dendrogram: a clickable dot on each leaf (topic) carrying its units."""
    out = copy.deepcopy(fig)
    yaxis = out.get("layout", {}).get("yaxis", {})
    ticks, vals = yaxis.get("ticktext") or [], yaxis.get("tickvals") or []
    leaves = [(int(m.group()), v, t) for t, v in zip(ticks, vals, strict=False)
              if (m := re.match(r"-?\d+", str(t)))]
    if leaves:
        out["data"].append({"type": "scatter", "mode": "markers", "name": "topics", "showlegend": False,
                            "x": [0.0] * len(leaves), "y": [v for _, v, _ in leaves],
                            "marker": {"size": 9, "color": "#2f5fb3"},
                            "customdata": [point(by_topic.get(t, []), f"Topic {label}") for t, _, label in leaves],
                            "hovertemplate": "%{customdata.label}<extra>click for units</extra>"})
    _fit(out)
    return out


def topics_context(topics: pd.DataFrame, unit_topics: pd.DataFrame, units: pd.DataFrame,
                   unit_frames: pd.DataFrame | None = None, utterance_frames: pd.DataFrame | None = None,
                   documents: pd.DataFrame | None = None, bertopic: dict[str, dict[str, Any]] | None = None,
                   n_keywords: int = 10, hierarchy: pd.DataFrame | None = None,
                   limits: Limits | None = None) -> dict[str, Any]:
    """Everything the topics page shows (`hierarchy`: the topic_hierarchy table, names the merges); with `limits`,
    the largest topics and documents in the table and cross-tabs (the rest summed), and sampled drill-downs."""
    limits = limits or Limits()
    by_topic = topic_units(unit_topics)
    keep = shown_topics(topics, limits.max_rows)
    rows = topic_rows(topics, by_topic, n_keywords, keep)
    labels = {(TOPIC_OTHERS if r["others"] else str(r["topic"])): (
        r["label"] if r["others"] else short_label(r["topic"], r["keywords"])) for r in rows}
    cols = [TOPIC_OTHERS if r["others"] else str(r["topic"]) for r in rows]

    def col(topic: Any) -> str:
        return str(topic) if int(topic) in keep else TOPIC_OTHERS

    texts = dict(zip(units["unit_id"], units["text"], strict=True))
    figures = []
    makers = {"topics_map": lambda f: clickable_map(f, by_topic),
              "topics_barchart": lambda f: clickable_barchart(f, by_topic, texts),
              "topics_hierarchy": lambda f: clickable_hierarchy(clickable_merges(f, by_topic, hierarchy), by_topic)}
    for name, make in makers.items():
        if bertopic and bertopic.get(name):
            figures.append({"id": f"fig-{name.replace('_', '-')}", "figure": make(bertopic[name]),
                            "title": FIGURE_TITLES[name]})
    frame_rows: list[dict[str, Any]] = []
    if unit_frames is not None:
        frames = frame_order(unit_frames, utterance_frames)
        joined = unit_frames[["unit_id", "frame"]].merge(unit_topics[["unit_id", "topic"]], on="unit_id")
        joined["col"] = [col(t) for t in joined["topic"]]
        cells = {(str(f), str(t)): sorted(g["unit_id"]) for (f, t), g in joined.groupby(["frame", "col"])}
        figures.append({"id": "fig-frame-topics", "title": "Topics per frame",
                        "figure": heatmap(frames, cols, cells, "Units per frame and topic", labels=labels)})
        for f in frames:
            n_frame = sum(len(cells.get((f, c), [])) for c in cols)
            frame_rows.append({"frame": f, "n": n_frame, "cells": [
                {"topic": labels[c] if c == TOPIC_OTHERS else c, "n": len(cells.get((f, c), [])),
                 "units": ids_attr(cells.get((f, c), [])),
                 "share": len(cells.get((f, c), [])) / n_frame if n_frame else 0.0} for c in cols]})
    present = set(unit_topics["doc_id"])
    doc_ids = sorted(present) if documents is None else [d for d in documents["doc_id"] if d in present]
    by_doc = unit_topics.assign(col=[col(t) for t in unit_topics["topic"]])
    doc_cells = {(str(d), str(t)): sorted(g["unit_id"]) for (d, t), g in by_doc.groupby(["doc_id", "col"])}
    doc_ids, doc_cells, n_docs_out = cap_rows(doc_ids, doc_cells, limits.max_rows)
    figures.append({"id": "fig-doc-topics", "title": "Topics per document",
                    "figure": heatmap(doc_ids, cols, doc_cells, "Units per document and topic",
                                      labels={**labels, **({OTHERS: f"{n_docs_out} other documents"}
                                                           if n_docs_out else {})})})
    context = {"topics": rows, "merges": merge_rows(hierarchy, by_topic), "topic_labels": [labels[c] for c in cols],
               "frame_rows": frame_rows, "figures": figures, "n_units": len(unit_topics),
               "n_outliers": int((unit_topics["topic"] == OUTLIER).sum()),
               "rows_left_out": {"topics": len(topics) - len(keep), "documents": n_docs_out}}
    return finish(context, limits, lambda ids: unit_lookup(units, ids))
