"""Validation page: every evaluation found in the stage metrics, with intervals, confusion matrices, stability (pure)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from pipeline.report.drill import SEQUENTIAL, esc, ids_attr, point, unit_lookup, utterance_lookup
from pipeline.report.scale import Limits, finish

Z95 = 1.959964  # normal quantile of a two-sided 95% interval
SUMMARY_KEYS = ("accuracy", "macro_f1", "kappa", "alpha", "agreement")
CONFUSION_COLUMNS = ("actual", "predicted", "id")  # per-item confusion CSV (one row per coded item)
Cells = dict[tuple[str, str], list[str]]


def is_evaluation(node: Any) -> bool:
    """An evaluation block: a dict with confusion {labels, rows_<a>_cols_<b>}."""
    conf = node.get("confusion") if isinstance(node, dict) else None
    return isinstance(conf, dict) and "labels" in conf and any(k.startswith("rows_") for k in conf)


def find_evaluations(metrics: dict[str, Any]) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path, block) of every evaluation block, in file and key order."""
    found: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if is_evaluation(node):
            found.append((path, node))
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, str(k)))

    walk(metrics, ())
    return found


def wilson(successes: int, n: int) -> tuple[float, float] | None:
    """Wilson score 95% interval of a proportion (None when n = 0)."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return (round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4))


def confusion_axes(conf: dict[str, Any]) -> tuple[str, str, list[list[int]]]:
    """Row and column meaning and the matrix, from the rows_<row>_cols_<col> key."""
    key = next(k for k in conf if k.startswith("rows_"))
    rows, _, cols = key[len("rows_"):].partition("_cols_")
    return rows, cols, [[int(x) for x in r] for r in conf[key]]


def per_class(block: dict[str, Any], labels: list[str], matrix: list[list[int]]) -> list[dict[str, Any]]:
    """Per-class precision/recall/F1/support with Wilson intervals from the confusion counts."""
    given = next((v for k, v in block.items() if k.startswith("per_") and isinstance(v, dict)), {})
    out = []
    for i, label in enumerate(labels):
        tp, row_n, col_n = matrix[i][i], sum(matrix[i]), sum(r[i] for r in matrix)
        g = given.get(label, {})
        prec = g.get("precision", tp / col_n if col_n else 0.0)
        rec = g.get("recall", tp / row_n if row_n else 0.0)
        f1 = g.get("f1", 2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        out.append({"label": label, "precision": prec, "precision_ci": wilson(tp, col_n), "recall": rec,
                    "recall_ci": wilson(tp, row_n), "f1": f1, "support": g.get("support", row_n)})
    return out


def confusion_cells(items: pd.DataFrame) -> Cells:
    """(actual, predicted) -> sorted ids of the items in that cell, from a per-item confusion table."""
    cells: Cells = {}
    for a, p, i in zip(items["actual"].astype(str), items["predicted"].astype(str), items["id"].astype(str),
                       strict=True):
        cells.setdefault((a, p), []).append(i)
    return {k: sorted(v) for k, v in cells.items()}


def role_items(unit_roles: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per-item confusion rows (gold role, `column`'s role, unit id) of the hand-coded (unit, concept) items."""
    coded = unit_roles[unit_roles["gold_role"].notna() & unit_roles[column].notna()]
    return pd.DataFrame({"actual": coded["gold_role"].astype(str).to_numpy(),
                         "predicted": coded[column].astype(str).to_numpy(), "id": coded["unit_id"].to_numpy()})


def role_confusion(unit_roles: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Per-item rows behind the positions stage's role evaluations, from unit_roles (supervised: out-of-fold)."""
    if unit_roles is None or not {"gold_role", "zeroshot_role", "supervised_role", "unit_id"} <= set(unit_roles):
        return {}
    return {"positions.zeroshot": role_items(unit_roles, "zeroshot_role"),
            "positions.supervised_cv": role_items(unit_roles, "supervised_role")}


def item_confusion(stem: str, items: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per-item confusion rows by dotted evaluation path ('<stem>.<evaluation>') from a stage's eval_items table."""
    if not {"evaluation", *CONFUSION_COLUMNS} <= set(items.columns):
        return {}
    return {f"{stem}.{name}": g[list(CONFUSION_COLUMNS)].reset_index(drop=True).astype(str)
            for name, g in items.groupby("evaluation", sort=True)}


def cells_match(cells: Cells, labels: list[str], matrix: list[list[int]]) -> bool:
    """Whether the per-item cells reproduce the metrics' confusion counts exactly (same run, same labels)."""
    inside = sum(len(cells.get((a, p), [])) for a in labels for p in labels)
    return inside == sum(len(v) for v in cells.values()) and all(
        len(cells.get((a, p), [])) == matrix[i][j] for i, a in enumerate(labels) for j, p in enumerate(labels))


def confusion_figure(labels: list[str], matrix: list[list[int]], rows: str, cols: str, title: str,
                     cells: Cells | None = None) -> dict[str, Any]:
    """Heatmap of a confusion matrix, coloured by row share, annotated with counts; cells click -> their items."""
    shares = [[x / (sum(r) or 1) for x in r] for r in matrix]
    names = [esc(x) for x in labels]
    extra = {} if cells is None else {"customdata": [[point(cells.get((a, p), []), f"{rows} {a} · {cols} {p}")
                                                      for p in labels] for a in labels]}
    return {"data": [{"type": "heatmap", "z": shares, "x": names, "y": names, "text": matrix, **extra,
                      "texttemplate": "%{text}", "colorscale": SEQUENTIAL, "zmin": 0, "zmax": 1, "xgap": 1, "ygap": 1,
                      "colorbar": {"title": {"text": f"share of {rows}"}, "tickformat": ".0%"},
                      "hovertemplate": f"{rows} %{{y}} · {cols} %{{x}}: %{{text}}<extra></extra>"}],
            "layout": {"title": {"text": esc(title)}, "height": 160 + 42 * len(names),
                       "xaxis": {"title": {"text": cols}, "side": "bottom", "automargin": True},
                       "yaxis": {"title": {"text": rows}, "autorange": "reversed", "automargin": True}}}


def evaluation(path: tuple[str, ...], block: dict[str, Any], fig_id: str,
               items: pd.DataFrame | None = None) -> dict[str, Any]:
    """One evaluation block prepared for the page; `items` (actual, predicted, id) makes its cells drill down."""
    labels = [str(x) for x in block["confusion"]["labels"]]
    rows, cols, matrix = confusion_axes(block["confusion"])
    cells, note = None, None
    if items is not None:
        missing = [c for c in CONFUSION_COLUMNS if c not in items.columns]
        cells = None if missing else confusion_cells(items)
        if missing:
            note = f"per-item confusion file lacks column(s) {', '.join(missing)}: cells not clickable"
        elif not cells_match(cells, labels, matrix):
            cells, note = None, "the per-item predictions do not reproduce these counts: cells not clickable"
    ci = block.get("ci95") or {}
    summary = [{"metric": k, "value": block[k], "ci": tuple(ci[k]) if k in ci else None}
               for k in SUMMARY_KEYS if isinstance(block.get(k), int | float)]
    title = " › ".join(path)
    return {"title": title, "path": list(path), "n": block.get("n"), "summary": summary,
            "classes": per_class(block, labels, matrix), "labels": labels, "matrix": matrix, "rows": rows,
            "cols": cols, "note": note,
            "ids": None if cells is None else [[ids_attr(cells.get((a, p), [])) for p in labels] for a in labels],
            "figure": {"id": fig_id, "figure": confusion_figure(labels, matrix, rows, cols, title, cells)}}


def stability_section(stab: dict[str, Any]) -> dict[str, Any] | None:
    """Seeds, ARI summary, pairwise ARI matrix, topics and outliers per seed (None without pairs)."""
    pairs = stab.get("pairs")
    if not isinstance(pairs, list) or not pairs:
        return None
    seeds = sorted({int(s) for p in pairs for s in p["seeds"]})
    ari = {(int(p["seeds"][0]), int(p["seeds"][1])): p["ari"] for p in pairs}
    matrix = [[1.0 if a == b else ari.get((a, b), ari.get((b, a))) for b in seeds] for a in seeds]
    names = [f"seed {s}" for s in seeds]
    fig = {"data": [{"type": "heatmap", "z": matrix, "x": names, "y": names, "zmin": 0, "zmax": 1,
                     "colorscale": SEQUENTIAL, "texttemplate": "%{z:.2f}", "xgap": 1, "ygap": 1,
                     "hovertemplate": "%{y} vs %{x}: ARI %{z:.3f}<extra></extra>"}],
           "layout": {"title": {"text": "Adjusted Rand index between the clustering runs behind the consensus"}, "height": 200 + 40 * len(seeds),
                      "yaxis": {"autorange": "reversed"}}}
    vs = stab.get("ari_vs_consensus") or {}
    per_seed = [{"seed": s, "n_topics": (stab.get("n_topics") or {}).get(str(s)),
                 "outlier_share": (stab.get("outlier_share") or {}).get(str(s)), "ari_vs_consensus": vs.get(str(s))}
                for s in seeds]
    summary = {k: stab[k] for k in ("ari_mean", "ari_min", "ari_clustered_mean", "method", "n_units") if k in stab}
    if vs:
        summary["ari_vs_consensus_mean"] = round(sum(vs.values()) / len(vs), 4)
    return {"summary": summary, "pairs": pairs, "per_seed": per_seed,
            "figure": {"id": "fig-stability", "figure": fig}}


def scalar_rows(node: Any, skip: set[tuple[str, ...]], path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(dotted key, value) of every scalar or short list outside the `skip` subtrees."""
    if path in skip:
        return []
    if isinstance(node, dict):
        return [row for k, v in node.items() for row in scalar_rows(v, skip, (*path, str(k)))]
    if isinstance(node, list) and (len(node) > 12 or any(isinstance(v, dict | list) for v in node)):
        return [(".".join(path[1:]), f"{len(node)} entries")]
    return [(".".join(path[1:]), ", ".join(map(str, node)) if isinstance(node, list) else str(node))]


def item_lookup(ids: list[str], units: pd.DataFrame | None, utterances: pd.DataFrame | None) -> dict[str, Any]:
    """Quotes-panel entries of unit ids (from `units`) and of the remaining ids as utterance ids."""
    out = unit_lookup(units, ids) if units is not None else {}
    rest = [i for i in ids if i not in out]
    if rest and utterances is not None:
        text = "clean_text" if "clean_text" in utterances.columns else "text"
        out.update(utterance_lookup(utterances, rest, text=text))
    return out


def validation_context(metrics: dict[str, dict[str, Any]], confusion: dict[str, pd.DataFrame] | None = None,
                       units: pd.DataFrame | None = None, utterances: pd.DataFrame | None = None,
                       limits: Limits | None = None) -> dict[str, Any]:
    """Everything the validation page shows, from {metrics file stem: parsed JSON} and per-item confusion
    tables {dotted evaluation path, e.g. 'frames.unit': (actual, predicted, id) rows}; `limits` samples the
    drill-downs."""
    found = find_evaluations(metrics)
    confusion = confusion or {}
    evals = [evaluation(path, block, f"fig-confusion-{i}", confusion.get(".".join(path)))
             for i, (path, block) in enumerate(found)]
    stab = stability_section(metrics.get("stability") or {})
    skip = {path for path, _ in found} | ({("stability", "pairs")} if stab else set())
    other = [{"file": stem, "rows": scalar_rows(m, skip, (stem,))} for stem, m in metrics.items()
             if isinstance(m, dict)]
    figures = [e["figure"] for e in evals] + ([stab["figure"]] if stab else [])
    return finish({"evaluations": evals, "stability": stab, "other": [o for o in other if o["rows"]],
                   "figures": figures}, limits or Limits(), lambda ids: item_lookup(ids, units, utterances))


def has_validation(metrics: dict[str, dict[str, Any]]) -> bool:
    """Whether the metrics hold anything the validation page shows (an evaluation or a stability run)."""
    return bool(find_evaluations(metrics)) or stability_section(metrics.get("stability") or {}) is not None
