"""Grouped and nested cross-validation of framers: inner folds choose the options, outer folds score."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.agreement import confusion, macro_f1
from pipeline.common.codebook import Frame, residual_frame
from pipeline.common.config import FrameConfig
from pipeline.frames.aggregate import aggregate_utterances
from pipeline.frames.batch import UnitBatch
from pipeline.frames.framers import make_framer
from pipeline.frames.sequence import learn_transitions, post_process

# Options applied to predicted probabilities (no refit needed); the rest need a refit per value.
POST_HOC = ("stacked.smoothing", "stacked.sequence_weight", "utterance_aggregate")


def with_options(cfg: FrameConfig, options: dict[str, Any]) -> FrameConfig:
    """`cfg` with dotted options set ('stacked.c' -> cfg.stacked.c)."""
    top: dict[str, Any] = {k: v for k, v in options.items() if "." not in k}
    nested = {k.split(".", 1)[1]: v for k, v in options.items() if k.startswith("stacked.")}
    if nested:
        top["stacked"] = cfg.stacked.model_copy(update=nested)
    return cfg.model_copy(update=top)


def candidates(cfg: FrameConfig) -> list[dict[str, Any]]:
    """Every combination of the frame.select grid, in grid order (the current options when empty)."""
    keys = list(cfg.select)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(cfg.select[k] for k in keys))]


def grouped_folds(y: Sequence[str], groups: Sequence[str], n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold over items, grouped (no group in two folds), seeded; positions into `y`."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_splits = min(n_splits, len(set(groups)))
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [(np.asarray(a), np.asarray(b)) for a, b in cv.split(np.zeros(len(y)), np.asarray(y), np.asarray(groups))]


def _raw_scores(batch: UnitBatch, train: np.ndarray, y: np.ndarray, test: np.ndarray, frames: Sequence[Frame],
                prototypes: np.ndarray | None, cfg: FrameConfig) -> np.ndarray:
    """Unsmoothed probabilities of the test rows from a framer fitted on the train rows."""
    raw = with_options(cfg, {"stacked.smoothing": 0.0, "stacked.sequence_weight": 0.0}) if cfg.method == "stacked" else cfg
    framer = make_framer(cfg.method, frames, prototypes, raw).fit(batch.take(train), list(y))
    return framer.predict(batch.take(test)).scores


def _score(scores: np.ndarray, rows: np.ndarray, batch: UnitBatch, gold_y: np.ndarray, gold_utts: dict[str, str],
           frame_ids: list[str], residual: str, cfg: FrameConfig) -> tuple[float, float]:
    """Unit and utterance macro-F1 of probabilities for `rows` (whole utterances)."""
    pred = frames_table(scores, batch.take(rows), frame_ids)
    cu = confusion(list(gold_y), pred["frame"].tolist(), frame_ids)
    utt = aggregate_utterances(pred, frame_ids, residual, cfg.utterance_ignore_residual, cfg.utterance_aggregate,
                               scores)
    utt = utt[utt["utterance_id"].isin(gold_utts)]
    cv = confusion([gold_utts[u] for u in utt["utterance_id"]], utt["frame"].tolist(), frame_ids)
    return macro_f1(cu), macro_f1(cv)


def frames_table(scores: np.ndarray, batch: UnitBatch, frame_ids: Sequence[str]) -> pd.DataFrame:
    """utterance_id, frame, score (best probability) for each row of `scores`."""
    best = scores.argmax(axis=1) if len(scores) else np.zeros(0, dtype=int)
    return pd.DataFrame({"utterance_id": batch.utterance_ids, "frame": np.array(frame_ids, dtype=object)[best],
                         "score": scores[np.arange(len(best)), best] if len(best) else np.zeros(0)})


@dataclass(frozen=True)
class Selection:
    """The options chosen by inner cross-validation and every candidate's inner (unit, utterance) macro-F1."""

    options: dict[str, Any]
    inner: list[tuple[dict[str, Any], float, float]]


def select_options(batch: UnitBatch, rows: np.ndarray, y: np.ndarray, gold_utts: dict[str, str],
                   frames: Sequence[Frame], prototypes: np.ndarray | None, cfg: FrameConfig) -> Selection:
    """Choose frame.select options by grouped CV on `rows` (labels `y`): best mean of unit and utterance macro-F1.

    Ties go to the earlier candidate in grid order. Options in POST_HOC are applied to each inner
    fold's out-of-fold probabilities (sequence decoding with that fold's training transitions), so
    only the other options cost refits.
    """
    cands = candidates(cfg) if cfg.method == "stacked" else []
    if len(cands) <= 1:
        return Selection(cands[0] if cands else {}, [])
    frame_ids, residual = [f.id for f in frames], residual_frame(frames)
    folds = grouped_folds(y, batch.utterance_ids[rows], cfg.inner_folds, cfg.seed + 1)
    trans = [learn_transitions(batch.take(rows[tr]), y[tr], frame_ids, cfg.stacked) for tr, _ in folds]
    cache: dict[str, np.ndarray] = {}
    inner = []
    for opts in cands:
        fit_key = repr(sorted((k, v) for k, v in opts.items() if k not in POST_HOC))
        c = with_options(cfg, opts)
        if fit_key not in cache:
            pooled = np.zeros((len(rows), len(frame_ids)))
            for tr, te in folds:
                pooled[te] = _raw_scores(batch, rows[tr], y[tr], rows[te], frames, prototypes, c)
            cache[fit_key] = pooled
        post = cache[fit_key].copy()
        for (_, te), t in zip(folds, trans, strict=True):
            post[te] = post_process(cache[fit_key][te], batch.take(rows[te]), t, c.stacked)
        inner.append((opts, *_score(post, rows, batch, y, gold_utts, frame_ids, residual, c)))
    best = max(range(len(inner)), key=lambda i: (round(inner[i][1] + inner[i][2], 12), -i))
    return Selection(inner[best][0], inner)


def nested_out_of_fold(batch: UnitBatch, unit_ids: np.ndarray, coded: np.ndarray, y: np.ndarray,
                       gold_utts: dict[str, str], frames: Sequence[Frame], prototypes: np.ndarray | None,
                       cfg: FrameConfig, group_by: np.ndarray | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Out-of-fold predictions of every unit of the held-out groups, options chosen inside each outer fold.

    Outer folds: stratified over coded units, grouped by utterance (or `group_by`, e.g. document);
    inner folds (frame.inner_folds, grouped by utterance) on the outer training units choose among
    frame.select. Returns the predictions (utterance_id, unit_id, frame, score, scores) and per fold
    the chosen options.
    """
    from tqdm import tqdm

    frame_ids = [f.id for f in frames]
    groups = batch.utterance_ids if group_by is None else np.asarray(group_by)
    parts, chosen = [], []
    folds = grouped_folds(y, groups[coded], cfg.cv_folds, cfg.seed)
    for tr, te in tqdm(folds, desc="frame cv", disable=bool(os.environ.get("CI"))):
        sel = select_options(batch, coded[tr], y[tr], gold_utts, frames, prototypes, cfg)
        c = with_options(cfg, sel.options)
        held = np.flatnonzero(np.isin(groups, groups[coded[te]]))
        framer = make_framer(c.method, frames, prototypes, c).fit(batch.take(coded[tr]), list(y[tr]))
        scores = framer.predict(batch.take(held)).scores
        part = frames_table(scores, batch.take(held), frame_ids).assign(unit_id=unit_ids[held])
        part["scores"] = list(scores)
        part["utterance_aggregate"] = c.utterance_aggregate
        parts.append(part)
        chosen.append(sel.options)
    pred = pd.concat(parts, ignore_index=True).sort_values("unit_id", kind="stable").reset_index(drop=True)
    return pred[["utterance_id", "unit_id", "frame", "score", "scores", "utterance_aggregate"]], chosen
