"""Framing core: codebook frames, framers (zero-shot, supervised) behind one Protocol, aggregation."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from pipeline.common.config import ConfigError, FrameConfig
from pipeline.frames.features import StackedFramer, UnitBatch, vectors_of


@dataclass(frozen=True)
class Frame:
    """One codebook frame: definition, inclusion/exclusion rules and example statements."""

    id: str
    label: str
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    examples: tuple[str, ...]
    residual: bool

    @property
    def prototype_texts(self) -> list[str]:
        """Texts whose mean embedding is the frame's zero-shot prototype: definition and examples."""
        return [self.definition, *self.examples]


def load_frames(codebook: Mapping[str, Any], source: str = "codebook") -> tuple[Frame, ...]:
    """The codebook's `frames:` section as Frame objects; exactly one frame is `residual: true`."""
    section = codebook.get("frames") or {}
    if not isinstance(section, Mapping) or len(section) < 2:
        raise ConfigError(f"{source}: section 'frames' needs at least two frames")
    frames = []
    for fid, spec in section.items():
        where = f"{source}: frames.{fid}"
        if not isinstance(spec, Mapping) or not spec.get("definition"):
            raise ConfigError(f"{where}: needs a 'definition'")
        frames.append(Frame(
            str(fid), str(spec.get("label", fid)), str(spec["definition"]),
            tuple(map(str, spec.get("include") or ())), tuple(map(str, spec.get("exclude") or ())),
            tuple(map(str, spec.get("examples") or ())), bool(spec.get("residual", False)),
        ))
    n_res = sum(f.residual for f in frames)
    if n_res != 1:
        raise ConfigError(f"{source}: frames must mark exactly one frame 'residual: true' (found {n_res})")
    return tuple(frames)


def residual_frame(frames: Sequence[Frame]) -> str:
    """Id of the residual ('other') frame."""
    return next(f.id for f in frames if f.residual)


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


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


class ZeroShotFramer:
    """Cosine similarity to each frame's prototype; below `other_threshold` the residual frame wins."""

    name = "zeroshot"

    def __init__(self, frames: Sequence[Frame], prototypes: np.ndarray, cfg: FrameConfig) -> None:
        if len(prototypes) != len(frames):
            raise ValueError(f"{len(frames)} frames but {len(prototypes)} prototypes")
        self.frame_ids = tuple(f.id for f in frames)
        self.residual = residual_frame(frames)
        self.prototypes = _unit_rows(prototypes)
        self.threshold = cfg.other_threshold

    def fit(self, x: np.ndarray | UnitBatch, y: Sequence[str]) -> ZeroShotFramer:
        """Nothing to learn."""
        return self

    def predict(self, x: np.ndarray | UnitBatch) -> FramePrediction:
        """Best frame by cosine; the residual frame when no frame reaches the threshold."""
        x = vectors_of(x)
        sims = _unit_rows(x) @ self.prototypes.T if len(x) else np.zeros((0, len(self.frame_ids)))
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

        x = vectors_of(x)
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
        x = vectors_of(x)
        k = len(self.frame_ids)
        scores = np.zeros((len(x), k))
        if len(x):
            proba = self.model.predict_proba(np.asarray(x, dtype=np.float64))
            cols = [self.frame_ids.index(c) for c in self.model.classes_]
            scores[:, cols] = proba
        best = scores.argmax(axis=1)
        frame = np.array(self.frame_ids, dtype=object)[best]
        return FramePrediction(frame, scores[np.arange(len(x)), best], scores, self.frame_ids)


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
    return np.stack([_unit_rows(embed(f.prototype_texts)).mean(axis=0) for f in frames])


def aggregate_utterances(
    unit_frames: pd.DataFrame, frame_ids: Sequence[str], residual: str, ignore_residual: bool,
    how: str = "vote", scores: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per utterance: share of each frame among its units, and its frame.

    how='vote': the most frequent frame (ties: larger summed unit score, then codebook order).
    how='mean': the frame with the highest mean unit probability (`scores`, rows aligned with
    `unit_frames`, columns `frame_ids`). With `ignore_residual` the residual frame wins only when
    every unit is residual. Score = the share of units with the chosen frame.
    Needs columns utterance_id, frame, score; returns utterance_id, frame, score, n_units, shares.
    """
    if how not in ("vote", "mean"):
        raise ValueError(f"utterance aggregation {how!r}: choose vote or mean")
    if how == "mean" and (scores is None or len(scores) != len(unit_frames)):
        raise ValueError("utterance aggregation 'mean' needs one score row per unit")
    rows = []
    order = {f: i for i, f in enumerate(frame_ids)}
    positions = pd.Series(np.arange(len(unit_frames)), index=unit_frames.index)
    for utt, grp in unit_frames.groupby("utterance_id", sort=True):
        counts = grp["frame"].value_counts()
        sums = grp.groupby("frame")["score"].sum()
        shares = [float(counts.get(f, 0)) / len(grp) for f in frame_ids]
        candidates = [f for f in frame_ids if counts.get(f, 0) > 0]
        if ignore_residual and any(f != residual for f in candidates):
            candidates = [f for f in candidates if f != residual]
            pool = [f for f in frame_ids if f != residual]
        else:
            pool = list(frame_ids) if not ignore_residual else candidates
        if how == "mean":
            mean = np.asarray(scores)[positions[grp.index].to_numpy()].mean(axis=0)
            best = max(pool, key=lambda f: (round(float(mean[order[f]]), 12), -order[f]))
        else:
            best = min(candidates, key=lambda f: (-counts[f], -round(float(sums[f]), 12), order[f]))
        rows.append({"utterance_id": utt, "frame": best, "score": shares[order[best]],
                     "n_units": len(grp), "shares": shares})
    return pd.DataFrame(rows, columns=["utterance_id", "frame", "score", "n_units", "shares"])


def frame_topic_crosstab(unit_frames: pd.DataFrame, unit_topics: pd.DataFrame) -> pd.DataFrame:
    """Frames x topics: units per cell, share within the frame and within the topic (long format)."""
    merged = unit_frames[["unit_id", "frame"]].merge(unit_topics[["unit_id", "topic"]], on="unit_id", how="inner")
    if merged.empty:
        return pd.DataFrame(columns=["frame", "topic", "n_units", "share_of_frame", "share_of_topic"])
    cells = merged.groupby(["frame", "topic"], sort=True).size().rename("n_units").reset_index()
    cells["share_of_frame"] = cells["n_units"] / cells.groupby("frame")["n_units"].transform("sum")
    cells["share_of_topic"] = cells["n_units"] / cells.groupby("topic")["n_units"].transform("sum")
    cells["topic"] = cells["topic"].astype("int64")
    cells["n_units"] = cells["n_units"].astype("int64")
    return cells.reset_index(drop=True)


def contextualise(x: np.ndarray, utterance_ids: Sequence[str], weight: float) -> np.ndarray:
    """Unit vectors with their utterance's mean vector added (times `weight`), re-normalised.

    The codebook codes a unit in its thread context (a unit with no cue takes the frame of the
    argument it continues); this gives the framers the same view. weight 0 returns `x` unchanged.
    """
    x = np.asarray(x, dtype=np.float64)
    if weight == 0 or not len(x):
        return x
    ids = np.asarray(utterance_ids)
    _, inverse = np.unique(ids, return_inverse=True)
    sums = np.zeros((inverse.max() + 1, x.shape[1]))
    np.add.at(sums, inverse, x)
    means = sums / np.bincount(inverse)[:, None]
    return _unit_rows(x + weight * means[inverse])
