"""Supervised role model and the validation metrics (P/R/F1, macro-F1, kappa, confusion, bootstrap CIs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold


def classification_metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Per-label precision/recall/F1/support, macro-F1 over labels present in gold, accuracy, kappa, confusion."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} items, predictions {len(pred)}")
    if not gold:
        return {"n": 0}
    labels = list(labels)
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    present = [i for i, lab in enumerate(labels) if s[i] > 0]
    kappa = cohen_kappa_score(gold, pred, labels=labels) if len(set(gold) | set(pred)) > 1 else 1.0
    return {
        "n": len(gold),
        "accuracy": float(np.mean([g == q for g, q in zip(gold, pred, strict=True)])),
        "macro_f1": float(np.mean([f[i] for i in present])) if present else 0.0,
        "kappa": float(kappa),
        "per_label": {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, lab in enumerate(labels)},
        "confusion": {"labels": labels, "rows_gold_cols_pred": confusion_matrix(gold, pred, labels=labels).tolist()},
    }


def bootstrap_ci(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], n_boot: int, seed: int,
                 level: float = 0.95) -> dict[str, list[float]]:
    """Percentile bootstrap intervals (resampling items) for accuracy, macro-F1 and kappa."""
    if not gold or n_boot <= 0:
        return {}
    rng = np.random.default_rng(seed)
    g, q = np.asarray(gold, dtype=object), np.asarray(pred, dtype=object)
    stats: dict[str, list[float]] = {"accuracy": [], "macro_f1": [], "kappa": []}
    for _ in range(n_boot):
        idx = rng.integers(0, len(g), len(g))
        m = classification_metrics(list(g[idx]), list(q[idx]), labels)
        for k in stats:
            stats[k].append(m[k])
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return {k: [float(np.nanpercentile(v, lo)), float(np.nanpercentile(v, hi))] for k, v in stats.items()}


def evaluate(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], n_boot: int, seed: int) -> dict[str, Any]:
    """classification_metrics plus bootstrap CIs under key `ci95`."""
    out = classification_metrics(gold, pred, labels)
    out["ci95"] = bootstrap_ci(gold, pred, labels, n_boot, seed)
    return out


def _model(seed: int, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed)


def cv_predict(x: np.ndarray, y: Sequence[str], folds: int, seed: int, c: float) -> tuple[list[str | None], int]:
    """Out-of-fold predictions (stratified K-fold); None for items of labels too rare to split.

    Returns the predictions and the number of folds used (0 when cross-validation is impossible).
    """
    y_arr = np.asarray(y, dtype=object)
    counts = Counter(y)
    keep = np.array([counts[v] >= 2 for v in y])
    out: list[str | None] = [None] * len(y)
    if keep.sum() < 4 or len({v for v, k in zip(y, keep, strict=True) if k}) < 2:
        return out, 0
    k = int(min(folds, min(counts[v] for v in set(y_arr[keep]))))
    idx = np.flatnonzero(keep)
    skf = StratifiedKFold(n_splits=max(k, 2), shuffle=True, random_state=seed)
    for train, test in skf.split(x[idx], y_arr[idx]):
        model = _model(seed, c).fit(x[idx[train]], list(y_arr[idx[train]]))
        for i, lab in zip(idx[test], model.predict(x[idx[test]]), strict=True):
            out[i] = str(lab)
    return out, max(k, 2)


def fit_predict(x_train: np.ndarray, y_train: Sequence[str], x: np.ndarray, seed: int, c: float) -> tuple[list[str], np.ndarray]:
    """Fit on the coded items, predict every row: labels and the probability of the predicted label."""
    if len(set(y_train)) < 2:
        lab = y_train[0] if len(y_train) else ""
        return [lab] * len(x), np.ones(len(x))
    model = _model(seed, c).fit(x_train, list(y_train))
    proba = model.predict_proba(x)
    best = proba.argmax(axis=1)
    return [str(model.classes_[b]) for b in best], proba[np.arange(len(x)), best]
