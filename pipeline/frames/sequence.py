"""Frame sequences inside an utterance: transitions learned from coded units, forward-backward posteriors.

The codebook codes a unit in its thread context (a unit with no cue of its own takes the frame of the
argument it continues), so consecutive units of a comment tend to share a frame. A first-order chain
over the units of each utterance, with the classifier's probabilities as emissions and transition
probabilities counted on the training units, turns unit probabilities into posterior marginals.
`weight` scales the log transition and start probabilities (0 = the classifier's probabilities unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.common.config import StackedFrameConfig
from pipeline.frames.batch import UnitBatch, group_means


@dataclass(frozen=True)
class Transitions:
    """Log start probabilities (k,) and log transition probabilities (k, k), rows = previous frame."""

    log_start: np.ndarray
    log_step: np.ndarray


def _runs(utterance_ids: Sequence[str], positions: Sequence[int]) -> list[np.ndarray]:
    """Row indices of each utterance, ordered by position within the utterance."""
    utt = np.asarray(utterance_ids).astype(str)
    pos = np.asarray(positions, dtype=np.int64)
    if not len(utt):
        return []
    order = np.lexsort((pos, utt))
    cuts = np.flatnonzero(utt[order][1:] != utt[order][:-1]) + 1
    return np.split(order, cuts)


def count_transitions(labels: Sequence[str], utterance_ids: Sequence[str], positions: Sequence[int],
                      frame_ids: Sequence[str], prior: float) -> Transitions:
    """Start and step probabilities from coded units; only units at adjacent positions count as a step.

    `prior` is added to every count (additive smoothing), so unseen transitions keep some probability.
    """
    k = len(frame_ids)
    index = {f: i for i, f in enumerate(frame_ids)}
    y = np.array([index[str(v)] for v in labels], dtype=np.int64)
    pos = np.asarray(positions, dtype=np.int64)
    start, step = np.full(k, prior, dtype=np.float64), np.full((k, k), prior, dtype=np.float64)
    for run in _runs(utterance_ids, positions):
        start[y[run[0]]] += 1
        for a, b in zip(run[:-1], run[1:], strict=True):
            if pos[b] - pos[a] == 1:
                step[y[a], y[b]] += 1
    start_sum = start.sum()
    step_sum = step.sum(axis=1, keepdims=True)
    return Transitions(np.log(start / np.where(start_sum == 0, 1.0, start_sum)),
                       np.log(step / np.where(step_sum == 0, 1.0, step_sum)))


def forward_backward(scores: np.ndarray, utterance_ids: Sequence[str], positions: Sequence[int],
                     trans: Transitions, weight: float) -> np.ndarray:
    """Posterior marginals of each unit's frame given all units of its utterance (rows aligned with `scores`)."""
    scores = np.asarray(scores, dtype=np.float64)
    if weight == 0 or not len(scores):
        return scores.copy()
    step, start = np.exp(weight * trans.log_step), np.exp(weight * trans.log_start)
    out = np.empty_like(scores)
    for run in _runs(utterance_ids, positions):
        em = np.clip(scores[run], 1e-12, None)
        n = len(run)
        fwd, bwd = np.empty_like(em), np.ones_like(em)
        fwd[0] = start * em[0]
        fwd[0] /= fwd[0].sum()
        for t in range(1, n):
            fwd[t] = (fwd[t - 1] @ step) * em[t]
            fwd[t] /= fwd[t].sum()
        for t in range(n - 2, -1, -1):
            bwd[t] = step @ (em[t + 1] * bwd[t + 1])
            bwd[t] /= bwd[t].sum()
        post = fwd * bwd
        out[run] = post / post.sum(axis=1, keepdims=True)
    return out


def smooth_by_utterance(scores: np.ndarray, utterance_ids: Sequence[str], weight: float) -> np.ndarray:
    """(1 - weight) * unit probabilities + weight * the mean probabilities of the unit's utterance."""
    if weight == 0 or not len(scores):
        return np.asarray(scores, dtype=np.float64)
    return (1 - weight) * scores + weight * group_means(scores, utterance_ids)


def learn_transitions(batch: UnitBatch, y: Sequence[str], frame_ids: Sequence[str], cfg: StackedFrameConfig) -> Transitions:
    """Frame transitions between adjacent coded units of the training utterances."""
    return count_transitions(y, batch.utterance_ids, batch.positions, frame_ids, cfg.transition_prior)


def post_process(scores: np.ndarray, batch: UnitBatch, trans: Transitions | None, cfg: StackedFrameConfig) -> np.ndarray:
    """Unit probabilities -> sequence posteriors (weight cfg.sequence_weight) -> smoothed toward the utterance mean."""
    if trans is not None and cfg.sequence_weight:
        scores = forward_backward(scores, batch.utterance_ids, batch.positions, trans, cfg.sequence_weight)
    return smooth_by_utterance(scores, batch.utterance_ids, cfg.smoothing)
