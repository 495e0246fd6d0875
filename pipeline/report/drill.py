"""Shared pieces of the analysis pages: unit look-ups for the quotes panel, colours, plotly figure dicts (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from pipeline.report.scale import Ids

# Presentation only: colours of categories (frames, roles, stances) by their position in codebook order.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac")
UNKNOWN = "author unknown"
SEQUENTIAL = [[0.0, "#ffffff"], [0.0001, "#eef3fa"], [1.0, "#2f5fb3"]]  # zero cells stay white


def colour(index: int) -> str:
    """Palette colour of the index-th category."""
    return PALETTE[index % len(PALETTE)]


def speaker(value: Any) -> str:
    """A speaker name, or the unknown label for null."""
    return UNKNOWN if value is None or (isinstance(value, float) and value != value) or value == "" else str(value)


def ids_attr(ids: Iterable[str]) -> Ids:
    """Unit or utterance ids of one drill-down cell: a space-separated attribute value once the page is finished
    (scale.finish samples them)."""
    return Ids(ids)


def unit_lookup(units: pd.DataFrame, ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """{unit_id: {text, speaker, doc_id, utterance_id}} for the quotes panel (only `ids` when given)."""
    df = units if ids is None else units[units["unit_id"].isin(set(ids))]
    return {r.unit_id: {"text": r.text, "speaker": speaker(r.author), "doc_id": r.doc_id,
                        "utterance_id": r.utterance_id} for r in df.itertuples(index=False)}


def utterance_lookup(utts: pd.DataFrame, ids: Iterable[str], author: str = "author",
                     text: str = "text") -> dict[str, dict[str, Any]]:
    """{utterance_id: {...}} in the quotes-panel shape, for drill-downs to whole utterances (replies)."""
    df = utts[utts["utterance_id"].isin(set(ids))]
    return {r["utterance_id"]: {"text": r[text], "speaker": speaker(r[author]), "doc_id": r["doc_id"],
                                "utterance_id": r["utterance_id"]} for r in df.to_dict("records")}


def ordered(values: Iterable[str], preferred: Sequence[str] = ()) -> list[str]:
    """Distinct values: those in `preferred` first in its order, then the rest sorted."""
    seen = set(values)
    return [v for v in preferred if v in seen] + sorted(seen - set(preferred))


def esc(text: Any) -> str:
    """Text for plotly labels, which read a little HTML (<a href>, <b>): data text shown, never interpreted."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def point(units: Sequence[str], title: str) -> dict[str, str]:
    """Plotly customdata of one clickable point: its unit ids, the quotes panel's title (plain text, shown by
    report.js with textContent) and the same title escaped for plotly's hover label (`%{customdata.label}`)."""
    return {"units": ids_attr(units), "title": title, "label": esc(title)}


def stacked_bars(categories: list[str], series: list[str], counts: dict[tuple[str, str], list[str]],
                 title: str, horizontal: bool = False, labels: dict[str, str] | None = None,
                 share: bool = False) -> dict[str, Any]:
    """Stacked bar figure: one trace per series (colour by its position), bars per category, click -> units."""
    labels = labels or {}
    data = []
    for i, s in enumerate(series):
        totals = {c: sum(len(counts.get((c, t), [])) for t in series) for c in categories}
        vals = [len(counts.get((c, s), [])) / (totals[c] or 1) if share else len(counts.get((c, s), []))
                for c in categories]
        names = [esc(labels.get(c, c)) for c in categories]
        cd = [point(counts.get((c, s), []), f"{s} · {labels.get(c, c)}") for c in categories]
        trace = {"type": "bar", "name": esc(s), "marker": {"color": colour(i)}, "customdata": cd,
                 "hovertemplate": "%{customdata.label}: %{" + ("x" if horizontal else "y")
                 + (":.0%" if share else "") + "}<extra></extra>"}
        trace.update({"orientation": "h", "x": vals, "y": names} if horizontal else {"x": names, "y": vals})
        data.append(trace)
    layout: dict[str, Any] = {"barmode": "stack", "title": {"text": title},
                              "legend": {"orientation": "h", "y": -0.25 if len(categories) > 1 else -0.6,
                                         "traceorder": "normal"}}
    if horizontal:
        layout.update({"yaxis": {"autorange": "reversed", "automargin": True},
                       "height": 200 if len(categories) == 1 else max(320, 34 * len(categories) + 160)})
    else:
        layout["xaxis"] = {"type": "category", "automargin": True}
    if share:
        layout["xaxis" if horizontal else "yaxis"] = {**layout.get("xaxis" if horizontal else "yaxis", {}),
                                                      "tickformat": ".0%"}
    return {"data": data, "layout": layout}


def heatmap(rows: list[str], cols: list[str], cells: dict[tuple[str, str], list[str]], title: str,
            values: dict[tuple[str, str], float] | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """Heatmap of rows x cols (value = count of ids unless `values`), each cell clickable to its units."""
    labels = labels or {}
    z = [[(values or {}).get((r, c), len(cells.get((r, c), []))) for c in cols] for r in rows]
    cd = [[point(cells.get((r, c), []), f"{labels.get(r, r)} · {labels.get(c, c)}") for c in cols] for r in rows]
    text = [[(f"{v:.0%}" if values else str(v)) if v else "" for v in row] for row in z]
    return {"data": [{"type": "heatmap", "z": z, "x": [esc(labels.get(c, c)) for c in cols],
                      "y": [esc(labels.get(r, r)) for r in rows], "customdata": cd, "text": text,
                      "texttemplate": "%{text}", "colorscale": SEQUENTIAL, "showscale": False,
                      "hovertemplate": "%{customdata.label}: %{z}<extra></extra>", "xgap": 1, "ygap": 1}],
            "layout": {"title": {"text": title, "y": 0.99, "yanchor": "top"},
                       "yaxis": {"autorange": "reversed", "automargin": True},
                       "xaxis": {"automargin": True, "side": "top"}, "margin": {"t": 110, "l": 60, "r": 20, "b": 20},
                       "height": max(300, 30 * len(rows) + 200)}}
