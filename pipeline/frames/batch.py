"""Units as framer input: vectors with their thread context (utterance mean, neighbours, whole-utterance text)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd


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
    return unit_rows(x + weight * means[inverse])


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


def as_vectors(x: np.ndarray | UnitBatch) -> np.ndarray:
    """The vector view of a framer input (a plain array or a UnitBatch's `vectors`)."""
    return x.vectors if isinstance(x, UnitBatch) else np.asarray(x, dtype=np.float64)
