"""Framers behind one Protocol: zero-shot (cosine to codebook prototypes), supervised and stacked logistic
regression; the registry that builds them from frame.method."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from pipeline.common.codebook import Frame, residual_frame
from pipeline.common.config import ConfigError, FrameConfig
from pipeline.frames.batch import UnitBatch, as_vectors, unit_rows
from pipeline.frames.features import FeatureBuilder
from pipeline.frames.sequence import Transitions, learn_transitions, post_process

PREDICT_ROWS = 16384  # units per feature matrix at prediction (memory bound; predictions are row-wise, so identical)


@dataclass(frozen=True)
class FramePrediction:
    """Frames and scores for n units, plus the (n, k) score matrix over `frame_ids`."""

    frame: np.ndarray
    score: np.ndarray
    scores: np.ndarray
    frame_ids: tuple[str, ...]


class Framer(Protocol):
    """Anything that assigns each unit vector one codebook frame with a score."""

    name: str

    def fit(self, x: np.ndarray | UnitBatch, y: Sequence[str]) -> Framer:
        """Learn from labelled units (a no-op for rule or zero-shot framers)."""
        ...

    def predict(self, x: np.ndarray | UnitBatch) -> FramePrediction:
        """Frame and score for each row of `x`."""
        ...


class ZeroShotFramer:
    """Cosine similarity to each frame's prototype; below `other_threshold` the residual frame wins."""

    name = "zeroshot"

    def __init__(self, frames: Sequence[Frame], prototypes: np.ndarray, cfg: FrameConfig) -> None:
        if len(prototypes) != len(frames):
            raise ValueError(f"{len(frames)} frames but {len(prototypes)} prototypes")
        self.frame_ids = tuple(f.id for f in frames)
        self.residual = residual_frame(frames)
        self.prototypes = unit_rows(prototypes)
        self.threshold = cfg.other_threshold

    def fit(self, x: np.ndarray | UnitBatch, y: Sequence[str]) -> ZeroShotFramer:
        """Nothing to learn."""
        return self

    def predict(self, x: np.ndarray | UnitBatch) -> FramePrediction:
        """Best frame by cosine; the residual frame when no frame reaches the threshold."""
        x = as_vectors(x)
        sims = unit_rows(x) @ self.prototypes.T if len(x) else np.zeros((0, len(self.frame_ids)))
        best = sims.argmax(axis=1) if len(x) else np.zeros(0, dtype=int)
        score = sims[np.arange(len(best)), best] if len(x) else np.zeros(0)
        frame = np.array(self.frame_ids, dtype=object)[best] if len(x) else np.array([], dtype=object)
        low = score < self.threshold
        frame[low] = self.residual
        return FramePrediction(frame, score, sims, self.frame_ids)


class SupervisedFramer:
    """Multinomial logistic regression on unit vectors, trained on hand-coded units."""

    name = "supervised"

    def __init__(self, frames: Sequence[Frame], prototypes: np.ndarray | None, cfg: FrameConfig) -> None:
        self.frame_ids = tuple(f.id for f in frames)
        self.cfg = cfg
        self.model: Any = None

    def fit(self, x: np.ndarray | UnitBatch, y: Sequence[str]) -> SupervisedFramer:
        """Fit on labelled vectors (classes absent from `y` get probability 0)."""
        from sklearn.linear_model import LogisticRegression

        x = as_vectors(x)
        unknown = sorted(set(y) - set(self.frame_ids))
        if unknown:
            raise ValueError(f"labels not in the codebook frames: {unknown}")
        self.model = LogisticRegression(
            C=self.cfg.supervised_c, class_weight=self.cfg.class_weight, max_iter=2000,
            random_state=self.cfg.seed,
        ).fit(np.asarray(x, dtype=np.float64), list(y))
        return self

    def predict(self, x: np.ndarray | UnitBatch) -> FramePrediction:
        """Most probable frame; score = its predicted probability."""
        if self.model is None:
            raise RuntimeError("SupervisedFramer.predict called before fit")
        x = as_vectors(x)
        k = len(self.frame_ids)
        scores = np.zeros((len(x), k))
        if len(x):
            proba = self.model.predict_proba(np.asarray(x, dtype=np.float64))
            cols = [self.frame_ids.index(c) for c in self.model.classes_]
            scores[:, cols] = proba
        best = scores.argmax(axis=1)
        frame = np.array(self.frame_ids, dtype=object)[best]
        return FramePrediction(frame, scores[np.arange(len(x)), best], scores, self.frame_ids)


class _Constant:
    """Stand-in model when the training units carry a single frame."""

    def __init__(self, label: str) -> None:
        self.classes_ = np.array([label], dtype=object)

    def predict_proba(self, z: Any) -> np.ndarray:
        """Probability 1 for the only class."""
        return np.ones((z.shape[0], 1))


class StackedFramer:
    """Logistic regression on stacked blocks; probabilities decoded along each utterance, then smoothed."""

    name = "stacked"

    def __init__(self, frames: Sequence[Frame], prototypes: np.ndarray | None, cfg: FrameConfig) -> None:
        self.frame_ids = tuple(f.id for f in frames)
        self.cfg = cfg
        self.features = FeatureBuilder(cfg.stacked.blocks, prototypes, cfg)
        self.model: Any = None
        self.transitions: Transitions | None = None

    def fit(self, x: UnitBatch, y: Sequence[str]) -> StackedFramer:
        """Fit the feature blocks and the regression on labelled units."""
        from sklearn.linear_model import LogisticRegression

        if not isinstance(x, UnitBatch):
            raise TypeError("StackedFramer needs a UnitBatch (pipeline.frames.batch.make_batch)")
        unknown = sorted(set(y) - set(self.frame_ids))
        if unknown:
            raise ValueError(f"labels not in the codebook frames: {unknown}")
        z = self.features.fit(x).transform(x)
        if self.cfg.stacked.sequence_weight:  # only sequence decoding reads them
            self.transitions = learn_transitions(x, y, self.frame_ids, self.cfg.stacked)
        if len(set(y)) == 1:  # a tiny training fold: every unit gets its only frame
            self.model = _Constant(str(y[0]))
            return self
        self.model = LogisticRegression(C=self.cfg.stacked.c, class_weight=self.cfg.class_weight, max_iter=3000,
                                        random_state=self.cfg.seed).fit(z, list(y))
        return self

    def predict(self, x: UnitBatch) -> FramePrediction:
        """Most probable frame after post-processing; score = its post-processed probability."""
        if self.model is None:
            raise RuntimeError("StackedFramer.predict called before fit")
        scores = np.zeros((len(x), len(self.frame_ids)))
        if len(x):
            cols = [self.frame_ids.index(c) for c in self.model.classes_]
            for start in range(0, len(x), PREDICT_ROWS):  # row-wise, so chunks only bound the feature matrix
                rows = np.arange(start, min(start + PREDICT_ROWS, len(x)))
                scores[rows[:, None], cols] = self.model.predict_proba(self.features.transform(x.take(rows)))
            scores = post_process(scores, x, self.transitions, self.cfg.stacked)
        best = scores.argmax(axis=1)
        return FramePrediction(np.array(self.frame_ids, dtype=object)[best], scores[np.arange(len(x)), best],
                               scores, self.frame_ids)


FRAMERS: dict[str, Callable[[Sequence[Frame], np.ndarray | None, FrameConfig], Framer]] = {
    "zeroshot": ZeroShotFramer,
    "supervised": SupervisedFramer,
    "stacked": StackedFramer,
}


def make_framer(name: str, frames: Sequence[Frame], prototypes: np.ndarray | None, cfg: FrameConfig) -> Framer:
    """Build the framer registered under `name`."""
    if name not in FRAMERS:
        raise ConfigError(f"frame.method {name!r}: choose one of {sorted(FRAMERS)}")
    return FRAMERS[name](frames, prototypes, cfg)


def prototype_vectors(frames: Sequence[Frame], embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """One prototype per frame: the mean of its unit-normalised definition and example embeddings."""
    return np.stack([unit_rows(embed(f.prototype_texts)).mean(axis=0) for f in frames])
