"""Topic hierarchy drill-down: each inner (merge) node of BERTopic's dendrogram opens the units of every topic
under it; the merge table from topic_hierarchy does the same without JavaScript (pure)."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.report.drill import ids_attr, point

TOL = 1e-6  # coordinates of the same dendrogram node agree to float precision


@dataclass(frozen=True)
class Merge:
    """One inner node of the drawn dendrogram: where it sits and the leaf topics under it."""

    x: float
    y: float
    topics: tuple[int, ...]


def values(array: Any) -> list[float]:
    """A plotly data array as floats: a plain list or plotly's typed-array form {dtype, bdata}."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).astype(float).tolist()
    return [float(v) for v in array or []]


def _leaves(fig: dict[str, Any]) -> dict[float, int]:
    """{y of a leaf: its topic id} from the y-axis tick labels ('12_media_social')."""
    yaxis = fig.get("layout", {}).get("yaxis", {})
    ticks, vals = yaxis.get("ticktext") or [], values(yaxis.get("tickvals"))
    return {float(v): int(m.group()) for t, v in zip(ticks, vals, strict=False) if (m := re.match(r"-?\d+", str(t)))}


def _find(nodes: dict[tuple[float, float], tuple[int, ...]], x: float, y: float) -> tuple[int, ...] | None:
    return next((t for (nx, ny), t in nodes.items() if abs(nx - x) <= TOL and abs(ny - y) <= TOL), None)


def dendrogram_merges(fig: dict[str, Any]) -> list[Merge]:
    """Inner nodes of a left-oriented dendrogram (leaves at x = 0 on the y ticks), read from its U-shaped line
    traces [x_left, d, d, x_right] x [y_left, y_left, y_right, y_right]; the node sits at (d, mid y).

    Geometry, not hover names: BERTopic gives different merges the same keyword name.
    """
    nodes: dict[tuple[float, float], tuple[int, ...]] = {(0.0, y): (t,) for y, t in _leaves(fig).items()}
    shapes = []
    for trace in fig.get("data", []):
        xs, ys = values(trace.get("x")), values(trace.get("y"))
        if trace.get("mode") == "lines" and len(xs) == 4 and len(ys) == 4:
            shapes.append((xs, ys))
    merges: list[Merge] = []
    todo = shapes
    while todo:
        left = []
        for xs, ys in todo:
            a, b = _find(nodes, xs[0], ys[0]), _find(nodes, xs[3], ys[3])
            if a is None or b is None:
                left.append((xs, ys))
                continue
            m = Merge(xs[1], (ys[0] + ys[3]) / 2, tuple(sorted({*a, *b})))
            nodes[(m.x, m.y)] = m.topics
            merges.append(m)
        if len(left) == len(todo):  # a line that joins nothing known: not a dendrogram link
            break
        todo = left
    return sorted(merges, key=lambda m: (m.x, m.topics))


def merge_units(topics: Sequence[int], by_topic: dict[int, list[str]]) -> list[str]:
    """Units of every topic under a merge, topic by topic."""
    return [u for t in sorted(topics) for u in by_topic.get(t, [])]


def merge_names(hierarchy: pd.DataFrame | None) -> dict[tuple[int, ...], tuple[int, str]]:
    """{sorted leaf topics: (parent id, parent name)} of the topic_hierarchy table."""
    if hierarchy is None:
        return {}
    return {tuple(sorted(int(t) for t in r["topics"])): (int(r["parent_id"]), str(r["parent_name"]))
            for r in hierarchy.to_dict("records")}


def merge_title(topics: Sequence[int], names: dict[tuple[int, ...], tuple[int, str]]) -> str:
    """'Merge 23 · media_social_strategy (topics 5, 10, 12)' (without the id and name when not in the table)."""
    listed = f"topics {', '.join(map(str, sorted(topics)))}"
    if tuple(sorted(topics)) in names:
        pid, name = names[tuple(sorted(topics))]
        return f"Merge {pid} · {name} ({listed})"
    return f"Merge of {listed}"


def clickable_merges(fig: dict[str, Any], by_topic: dict[int, list[str]],
                     hierarchy: pd.DataFrame | None = None) -> dict[str, Any]:
    """Replace BERTopic's hover-only merge dots by clickable ones carrying the units of all topics below.

    The link lines stop taking hover and clicks (their end points sit exactly on the dots and would win); the
    x axis gets a margin so the leaves (x = 0) and the root are inside the plot, where clicks register.
    """
    merges = dendrogram_merges(fig)
    if not merges:
        return fig
    out = copy.deepcopy(fig)
    out["data"] = [t for t in out["data"] if not (t.get("mode") == "markers" and "customdata" not in t)]
    for trace in out["data"]:
        if trace.get("mode") == "lines":
            trace["hoverinfo"] = "skip"
    far = max(m.x for m in merges)
    layout = out.setdefault("layout", {})
    layout["xaxis"] = {**layout.get("xaxis", {}), "range": [-0.03 * far, 1.03 * far], "autorange": False}
    names = merge_names(hierarchy)
    out["data"].append({"type": "scatter", "mode": "markers", "name": "merges", "showlegend": False,
                        "x": [m.x for m in merges], "y": [m.y for m in merges],
                        "marker": {"size": 9, "color": "#f28e2b", "symbol": "diamond"},
                        "customdata": [point(merge_units(m.topics, by_topic), merge_title(m.topics, names))
                                       for m in merges],
                        "hovertemplate": "%{customdata.label}<extra>click for units</extra>"})
    return out


def merge_rows(hierarchy: pd.DataFrame | None, by_topic: dict[int, list[str]]) -> list[dict[str, Any]]:
    """The merge table, closest merges first: id, name, distance, topics, units (clickable)."""
    if hierarchy is None or hierarchy.empty:
        return []
    rows, names = [], merge_names(hierarchy)
    for r in hierarchy.sort_values(["distance", "parent_id"]).to_dict("records"):
        topics = sorted(int(t) for t in r["topics"])
        units = merge_units(topics, by_topic)
        rows.append({"parent_id": int(r["parent_id"]), "name": str(r["parent_name"]), "distance": float(r["distance"]),
                     "topics": topics, "n": len(units), "units": ids_attr(units),
                     "title": merge_title(topics, names)})
    return rows
