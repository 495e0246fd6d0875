"""Feature blocks of the stacked framer: unit, context, neighbour and utterance vectors, prototype
similarities, concept indicators and word n-grams, fitted on training units and stacked into one matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.common.config import FrameConfig
from pipeline.frames.batch import UnitBatch, group_means, unit_rows

BLOCKS = ("unit", "context", "neighbours", "utterance", "prototypes", "concepts", "words")


VECTOR_BLOCKS = ("unit", "context", "neighbours", "utterance")


def uses_block(cfg: FrameConfig, name: str) -> bool:
    """Whether the stacked route's blocks, or any blocks option in frame.select, include `name`."""
    options = [cfg.stacked.blocks, *cfg.select.get("stacked.blocks", [])]
    return cfg.method == "stacked" and any(name in b for b in options)


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
