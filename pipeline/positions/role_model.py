"""Supervised role model (logistic regression, cross-validated) and the role validation report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from pipeline.common.agreement import report


def role_report(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], n_boot: int, seed: int) -> dict[str, Any]:
    """The framing's validation report (pipeline.common.agreement) for roles: P/R/F1 per role, macro-F1, kappa, CIs."""
    out = report(gold, pred, labels, n_boot, seed)
    out["per_role"] = out.pop("per_frame")
    return out


def _model(seed: int, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed)


def stratified_folds(y: Sequence[str], folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold (train, test) index pairs over the items whose label occurs at least twice.

    K is `folds` or the smallest label count if lower; empty when cross-validation is impossible.
    """
    y_arr = np.asarray(y, dtype=object)
    counts = Counter(y)
    idx = np.flatnonzero([counts[v] >= 2 for v in y])
    if len(idx) < 4 or len(set(y_arr[idx])) < 2:
        return []
    k = max(2, int(min(folds, min(counts[v] for v in set(y_arr[idx])))))
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(idx[tr], idx[te]) for tr, te in skf.split(np.zeros(len(idx)), y_arr[idx])]


def cv_predict(x: np.ndarray, y: Sequence[str], folds: int, seed: int, c: float
               ) -> tuple[list[str | None], list[float | None], int]:
    """Out-of-fold labels and their probabilities; None for items of labels too rare to split; folds used."""
    out: list[str | None] = [None] * len(y)
    prob: list[float | None] = [None] * len(y)
    splits = stratified_folds(y, folds, seed)
    y_arr = np.asarray(y, dtype=object)
    for train, test in splits:
        model = _model(seed, c).fit(x[train], list(y_arr[train]))
        p = model.predict_proba(x[test])
        for i, row in zip(test, p, strict=True):
            out[i], prob[i] = str(model.classes_[row.argmax()]), float(row.max())
    return out, prob, len(splits)


def cv_threshold(scores: np.ndarray, y: Sequence[str], roles: Sequence[str], unclear: str, grid: Sequence[float],
                 folds: int, seed: int) -> tuple[list[str | None], list[float]]:
    """Zero-shot with the `unclear` threshold chosen on the training folds (best macro-F1), applied out of fold.

    `scores` has one column per role of `roles` (all but `unclear`); returns predictions and chosen thresholds.
    """
    def predict(rows: np.ndarray, th: float) -> list[str]:
        best, top = scores[rows].argmax(axis=1), scores[rows].max(axis=1)
        return [roles[b] if t >= th else unclear for b, t in zip(best, top, strict=True)]

    labels = [*roles, unclear]
    y_arr = np.asarray(y, dtype=object)
    out: list[str | None] = [None] * len(y)
    chosen = []
    for train, test in stratified_folds(y, folds, seed):
        th = max(grid, key=lambda t: (report(list(y_arr[train]), predict(train, t), labels)["macro_f1"], -t))
        chosen.append(float(th))
        for i, lab in zip(test, predict(test, th), strict=True):
            out[i] = lab
    return out, chosen


def fit_predict(x_train: np.ndarray, y_train: Sequence[str], x: np.ndarray, seed: int, c: float) -> tuple[list[str], np.ndarray]:
    """Fit on the coded items, predict every row: labels and the probability of the predicted label."""
    if len(set(y_train)) < 2:
        lab = y_train[0] if len(y_train) else ""
        return [lab] * len(x), np.ones(len(x))
    model = _model(seed, c).fit(x_train, list(y_train))
    proba = model.predict_proba(x)
    best = proba.argmax(axis=1)
    return [str(model.classes_[b]) for b in best], proba[np.arange(len(x)), best]
