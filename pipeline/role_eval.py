"""Supervised role model (logistic regression, cross-validated) and the role validation report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from pipeline.validation import report


def evaluate(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], n_boot: int, seed: int) -> dict[str, Any]:
    """The framing's validation report (pipeline.validation) for roles: P/R/F1 per role, macro-F1, kappa, CIs."""
    out = report(gold, pred, labels, n_boot, seed)
    out["per_role"] = out.pop("per_frame")
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
