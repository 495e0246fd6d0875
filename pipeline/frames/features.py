"""Stacked framing: unit batches with thread context, feature blocks, and the stacked framer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline.common.config import FrameConfig, StackedFrameConfig
from pipeline.frames.sequence import Transitions, count_transitions, forward_backward

if TYPE_CHECKING:
    from pipeline.frames.framers import Frame, FramePrediction

BLOCKS = ("unit", "context", "neighbours", "utterance", "prototypes", "concepts", "words")
VECTOR_BLOCKS = ("unit", "context", "neighbours", "utterance")


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def group_means(x: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """For each row, the mean of the rows sharing its key (same shape as `x`)."""
    x = np.asarray(x, dtype=np.float64)
    if not len(x):
        return x
    _, inverse = np.unique(np.asarray(keys), return_inverse=True)
    sums = np.zeros((inverse.max() + 1, x.shape[1]))
    np.add.at(sums, inverse, x)
    return (sums / np.bincount(inverse)[:, None])[inverse]


@dataclass(frozen=True)
class UnitBatch:
    """Units as framer input: vectors plus the thread context a stacked framer reads.

    `vectors` is what the vector framers (zero-shot, supervised) read, already contextualised with
    frame.context_weight; `unit`, `context` (utterance mean) and `neighbours` (mean of the previous
    and next unit of the same utterance, zero when alone) are unit-normalised raw embeddings;
    `utterance` is the embedding of the utterance's whole text (zero rows when not embedded) and
    `positions` the unit's index within its utterance.
    """

    vectors: np.ndarray
    unit: np.ndarray
    context: np.ndarray
    neighbours: np.ndarray
    texts: tuple[str, ...]
    utterance_ids: np.ndarray
    concepts: tuple[tuple[str, ...], ...]
    positions: np.ndarray
    utterance: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, rows: Sequence[int] | np.ndarray) -> UnitBatch:
        """The batch restricted to `rows` (in that order)."""
        rows = np.asarray(rows, dtype=np.int64)
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v[rows] if isinstance(v, np.ndarray) else tuple(v[i] for i in rows)
        return UnitBatch(**out)


def make_batch(units: pd.DataFrame, x: np.ndarray, vectors: np.ndarray | None = None,
               utterance_vectors: np.ndarray | None = None) -> UnitBatch:
    """A UnitBatch over `units` (rows aligned with `x`); `vectors` defaults to `x`, `utterance_vectors` to zeros."""
    units = units.reset_index(drop=True)
    x = unit_rows(x)
    utt = units["utterance_id"].astype(str).to_numpy()
    neighbours = np.zeros_like(x)
    order = units.sort_values(["utterance_id", "index"], kind="stable")
    for _, grp in order.groupby("utterance_id", sort=False):
        ids = grp.index.to_numpy()
        for j, i in enumerate(ids):
            near = [ids[k] for k in (j - 1, j + 1) if 0 <= k < len(ids)]
            if near:
                neighbours[i] = x[near].mean(axis=0)
    concepts = tuple(tuple(map(str, c)) if c is not None else () for c in units.get("concepts", [()] * len(units)))
    return UnitBatch(x if vectors is None else np.asarray(vectors, dtype=np.float64), x,
                     unit_rows(group_means(x, utt)), unit_rows(neighbours), tuple(units["text"].astype(str)),
                     utt, concepts, units["index"].to_numpy(dtype=np.int64),
                     unit_rows(utterance_vectors) if utterance_vectors is not None else np.zeros_like(x))


def utterance_texts(units: pd.DataFrame) -> dict[str, str]:
    """The whole text of each utterance: its units in order, space-joined."""
    ordered = units.sort_values(["utterance_id", "index"], kind="stable")
    return ordered.groupby("utterance_id", sort=False)["text"].apply(lambda t: " ".join(map(str, t))).to_dict()


def utterance_vectors(units: pd.DataFrame, embed: Callable[[list[str]], np.ndarray]) -> np.ndarray | None:
    """For each row of `units`, the embedding of its utterance's whole text (each utterance embedded once)."""
    if not len(units):
        return None
    texts = utterance_texts(units)
    vec = dict(zip(texts, embed(list(texts.values())), strict=True))
    return np.stack([np.asarray(vec[u], dtype=np.float64) for u in units["utterance_id"]])


def uses_block(cfg: FrameConfig, name: str) -> bool:
    """Whether the stacked route's blocks, or any blocks option in frame.select, include `name`."""
    options = [cfg.stacked.blocks, *cfg.select.get("stacked.blocks", [])]
    return cfg.method == "stacked" and any(name in b for b in options)


def vectors_of(x: np.ndarray | UnitBatch) -> np.ndarray:
    """The vector view of a framer input (a plain array or a UnitBatch's `vectors`)."""
    return x.vectors if isinstance(x, UnitBatch) else np.asarray(x, dtype=np.float64)


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


class FeatureBuilder:
    """Fits the feature blocks on training units and stacks them into one sparse matrix."""

    def __init__(self, blocks: Sequence[str], prototypes: np.ndarray | None, cfg: FrameConfig) -> None:
        unknown = sorted(set(blocks) - set(BLOCKS))
        if unknown:
            raise ValueError(f"frame.stacked.blocks: unknown {unknown}; choose from {list(BLOCKS)}")
        if "prototypes" in blocks and prototypes is None:
            raise ValueError("frame.stacked.blocks 'prototypes' needs frame prototype vectors")
        self.blocks, self.cfg = tuple(blocks), cfg.stacked
        self.prototypes = unit_rows(prototypes) if prototypes is not None else None
        self.fitted: dict[str, Any] = {}

    def _small(self, name: str, batch: UnitBatch) -> np.ndarray:
        if name == "prototypes":
            return np.hstack([batch.unit @ self.prototypes.T, batch.context @ self.prototypes.T])
        names = self.fitted["concept_names"]
        hot = np.array([[c in cs for c in names] for cs in batch.concepts], dtype=np.float64).reshape(len(batch), len(names))
        return np.hstack([hot, group_means(hot, batch.utterance_ids)])

    def fit(self, batch: UnitBatch) -> FeatureBuilder:
        """Learn the vocabulary, concept list and scalings from the training units only."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import StandardScaler

        if "utterance" in self.blocks and len(batch) and not batch.utterance.any():
            raise ValueError("frame.stacked.blocks 'utterance' needs utterance text vectors (make_batch utterance_vectors)")
        self.fitted = {"concept_names": sorted({c for cs in batch.concepts for c in cs})}
        for name in ("prototypes", "concepts"):
            small = self._small(name, batch) if name in self.blocks else np.zeros((0, 0))
            if small.shape[1]:  # no concepts seen in training: the block is empty
                self.fitted[name] = StandardScaler().fit(small)
        if "words" in self.blocks:
            self.fitted["words"] = TfidfVectorizer(
                ngram_range=(1, self.cfg.word_ngram_max), min_df=self.cfg.word_min_df, sublinear_tf=True,
            ).fit(batch.texts)
        return self

    def transform(self, batch: UnitBatch) -> Any:
        """The stacked feature matrix (scipy CSR) of `batch`."""
        from scipy import sparse

        parts = []
        for name in self.blocks:
            if name in VECTOR_BLOCKS:
                parts.append(sparse.csr_matrix(getattr(batch, name)))
            elif name in ("prototypes", "concepts"):
                if name not in self.fitted:
                    continue
                z = self.fitted[name].transform(self._small(name, batch)) * self.cfg.small_block_weight
                parts.append(sparse.csr_matrix(np.nan_to_num(z)))
            else:
                parts.append(self.fitted["words"].transform(batch.texts))
        return sparse.hstack(parts).tocsr()


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
            raise TypeError("StackedFramer needs a UnitBatch (pipeline.frames.features.make_batch)")
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
        from pipeline.frames.framers import FramePrediction

        if self.model is None:
            raise RuntimeError("StackedFramer.predict called before fit")
        scores = np.zeros((len(x), len(self.frame_ids)))
        if len(x):
            cols = [self.frame_ids.index(c) for c in self.model.classes_]
            scores[:, cols] = self.model.predict_proba(self.features.transform(x))
            scores = post_process(scores, x, self.transitions, self.cfg.stacked)
        best = scores.argmax(axis=1)
        return FramePrediction(np.array(self.frame_ids, dtype=object)[best], scores[np.arange(len(x)), best],
                               scores, self.frame_ids)
