"""Agreement metrics for coded labels: confusion matrix, per-class P/R/F1, macro-F1, kappa, bootstrap, alpha."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Counts[i, j] = items with gold labels[i] and prediction labels[j]."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    index = {lab: i for i, lab in enumerate(labels)}
    unknown = sorted({x for x in [*gold, *pred] if x not in index})
    if unknown:
        raise ValueError(f"labels not in {list(labels)}: {unknown}")
    k = len(labels)
    codes = np.array([index[g] * k + index[p] for g, p in zip(gold, pred, strict=True)], dtype=np.int64)
    return np.bincount(codes, minlength=k * k).reshape(k, k)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)


def per_class(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 and support per class (0 where undefined)."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    precision = _safe_div(tp, cm.sum(axis=0))
    recall = _safe_div(tp, cm.sum(axis=1))
    f1 = _safe_div(2 * precision * recall, precision + recall)
    return precision, recall, f1, cm.sum(axis=1)


def macro_f1(cm: np.ndarray) -> float:
    """Mean F1 over the classes present in the gold labels (support > 0)."""
    _, _, f1, support = per_class(cm)
    present = support > 0
    return float(f1[present].mean()) if present.any() else 0.0


def accuracy(cm: np.ndarray) -> float:
    """Share of items on the diagonal."""
    total = cm.sum()
    return float(np.trace(cm) / total) if total else 0.0


def cohen_kappa(cm: np.ndarray) -> float:
    """Cohen's kappa from a confusion matrix: (po - pe) / (1 - pe); 1.0 when pe == 1 and po == 1."""
    cm = np.asarray(cm, dtype=np.float64)
    n = cm.sum()
    if n == 0:
        return 0.0
    po = np.trace(cm) / n
    pe = float((cm.sum(axis=0) * cm.sum(axis=1)).sum() / n**2)
    if pe == 1.0:
        return 1.0 if po == 1.0 else 0.0
    return float((po - pe) / (1 - pe))


def bootstrap_ci(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], n_resamples: int, seed: int,
    stats: dict[str, Callable[[np.ndarray], float]] | None = None, level: float = 0.95,
) -> dict[str, list[float]]:
    """Percentile bootstrap intervals (items resampled with replacement) for each statistic."""
    stats = stats or {"macro_f1": macro_f1, "kappa": cohen_kappa, "accuracy": accuracy}
    if n_resamples <= 0 or not len(gold):
        return {}
    k = len(labels)
    index = {lab: i for i, lab in enumerate(labels)}
    codes = np.array([index[g] * k + index[p] for g, p in zip(gold, pred, strict=True)], dtype=np.int64)
    rng = np.random.default_rng(seed)
    values: dict[str, list[float]] = {name: [] for name in stats}
    for _ in range(n_resamples):
        sample = codes[rng.integers(0, len(codes), len(codes))]
        cm = np.bincount(sample, minlength=k * k).reshape(k, k)
        for name, fn in stats.items():
            values[name].append(fn(cm))
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return {name: [round(float(np.percentile(v, lo)), 4), round(float(np.percentile(v, hi)), 4)]
            for name, v in values.items()}


def report(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], n_resamples: int = 0, seed: int = 0
) -> dict[str, Any]:
    """Everything about one gold/prediction pairing as a JSON-ready dict (rounded to 4 places)."""
    cm = confusion(gold, pred, labels)
    precision, recall, f1, support = per_class(cm)
    out: dict[str, Any] = {
        "n": int(cm.sum()),
        "macro_f1": round(macro_f1(cm), 4),
        "kappa": round(cohen_kappa(cm), 4),
        "accuracy": round(accuracy(cm), 4),
        "per_frame": {lab: {"precision": round(float(precision[i]), 4), "recall": round(float(recall[i]), 4),
                            "f1": round(float(f1[i]), 4), "support": int(support[i])}
                      for i, lab in enumerate(labels)},
        "confusion": {"labels": list(labels), "rows_gold_cols_predicted": cm.tolist()},
    }
    if n_resamples > 0:
        out["ci95"] = bootstrap_ci(gold, pred, labels, n_resamples, seed)
    return out


def krippendorff_alpha(codings: Sequence[Sequence[str | None]], labels: Sequence[str]) -> float:
    """Nominal Krippendorff's alpha; `codings` has one row per coder, None where a coder skipped an item."""
    import krippendorff

    index = {lab: float(i) for i, lab in enumerate(labels)}
    data = np.array([[np.nan if c is None else index[c] for c in row] for row in codings], dtype=np.float64)
    if data.shape[1] == 0:
        return float("nan")
    if len(np.unique(data[~np.isnan(data)])) < 2:
        return 1.0
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def intercoder(first: pd.DataFrame, second: pd.DataFrame, frame_ids: list[str], other: str = "coder2") -> dict[str, Any]:
    """Cohen's kappa, Krippendorff's alpha and raw agreement on the units both coders coded."""
    both = first.merge(second, on="unit_id", suffixes=("_1", "_2"))
    if both.empty:
        return {"n": 0}
    cm = confusion(both["frame_1"].tolist(), both["frame_2"].tolist(), frame_ids)
    return {"n": len(both), "kappa": round(cohen_kappa(cm), 4),
            "alpha": round(krippendorff_alpha([both["frame_1"].tolist(), both["frame_2"].tolist()], frame_ids), 4),
            "agreement": round(float(np.trace(cm) / cm.sum()), 4),
            "confusion": {"labels": frame_ids, f"rows_coder1_cols_{other}": cm.tolist()}}
