"""Topics page: BERTopic's figures made clickable, topic table, topics per frame and per document (pure)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pandas as pd

from pipeline.report.drill import heatmap, ids_attr, point, unit_lookup
from pipeline.report.frames_page import frame_order
from pipeline.report.hierarchy import clickable_merges, merge_rows

OUTLIER = -1
FIGURE_TITLES = {"topics_map": "Intertopic distance map", "topics_barchart": "Top keywords per topic",
                 "topics_hierarchy": "Topic hierarchy"}


def topic_units(unit_topics: pd.DataFrame) -> dict[int, list[str]]:
    """{topic: sorted unit ids}."""
    return {int(t): sorted(g["unit_id"]) for t, g in unit_topics.groupby("topic", sort=True)}


def short_label(topic: int, keywords: list[str]) -> str:
    """'3 · crm, social' (outliers: '-1 · outliers')."""
    return f"{topic} · outliers" if topic == OUTLIER else f"{topic} · {', '.join(keywords[:2])}"


def topic_rows(topics: pd.DataFrame, by_topic: dict[int, list[str]], n_keywords: int) -> list[dict[str, Any]]:
    """The topic table: size, share, keywords, representative units, all units; outliers last."""
    rows = []
    for r in topics.sort_values("topic", key=lambda s: s.map(lambda t: (t == OUTLIER, t))).to_dict("records"):
        t = int(r["topic"])
        reps = [{"unit_id": u, "text": x} for u, x in zip(r["representative_unit_ids"], r["representative_texts"],
                                                          strict=True)]
        stability = r.get("stability")
        rows.append({"topic": t, "name": r["name"], "size": int(r["size"]), "share": float(r["share"]),
                     "keywords": list(r["keywords"])[:n_keywords], "representatives": reps,
                     "units": ids_attr(by_topic.get(t, [])), "outlier": t == OUTLIER,
                     "stability": None if stability is None or stability != stability else float(stability),
                     "confidence": None if r.get("mean_confidence") is None or r["mean_confidence"] != r["mean_confidence"]
                     else float(r["mean_confidence"]), "stable": bool(r.get("stable")) if r.get("stable") is not None
                     and r.get("stable") == r.get("stable") else None})
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
            trace["customdata"] = [[*row[:3], ids_attr(by_topic.get(int(row[0]), []))] for row in cd]
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
                   n_keywords: int = 10, hierarchy: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything the topics page shows (`hierarchy`: the topic_hierarchy table, names the merges)."""
    by_topic = topic_units(unit_topics)
    rows = topic_rows(topics, by_topic, n_keywords)
    labels = {str(r["topic"]): short_label(r["topic"], r["keywords"]) for r in rows}
    cols = [str(r["topic"]) for r in rows]
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
        cells = {(str(f), str(t)): sorted(g["unit_id"]) for (f, t), g in joined.groupby(["frame", "topic"])}
        figures.append({"id": "fig-frame-topics", "title": "Topics per frame",
                        "figure": heatmap(frames, cols, cells, "Units per frame and topic", labels=labels)})
        for f in frames:
            n_frame = sum(len(cells.get((f, c), [])) for c in cols)
            frame_rows.append({"frame": f, "n": n_frame, "cells": [
                {"topic": c, "n": len(cells.get((f, c), [])), "units": ids_attr(cells.get((f, c), [])),
                 "share": len(cells.get((f, c), [])) / n_frame if n_frame else 0.0} for c in cols]})
    doc_ids = sorted(set(unit_topics["doc_id"])) if documents is None else [
        d for d in documents["doc_id"] if d in set(unit_topics["doc_id"])]
    doc_cells = {(str(d), str(t)): sorted(g["unit_id"]) for (d, t), g in unit_topics.groupby(["doc_id", "topic"])}
    figures.append({"id": "fig-doc-topics", "title": "Topics per document",
                    "figure": heatmap(doc_ids, cols, doc_cells, "Units per document and topic", labels=labels)})
    return {"topics": rows, "merges": merge_rows(hierarchy, by_topic), "topic_labels": [labels[c] for c in cols],
            "frame_rows": frame_rows,
            "figures": figures, "n_units": len(unit_topics),
            "n_outliers": int((unit_topics["topic"] == OUTLIER).sum()),
            "units_data": unit_lookup(units, unit_topics["unit_id"])}
