"""Which uncoded units of a corpus to code next: the current model's uncertain units spread over documents and
utterances (or a stratified or random sample), frames without any coded unit offered first."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.coding.strategies import StrategyOptions, choose_units
from pipeline.common.codebook import Frame
from pipeline.common.config import FrameConfig
from pipeline.frames.batch import UnitBatch
from pipeline.frames.framers import make_framer


def sample_units(units: pd.DataFrame, batch: UnitBatch, gold: pd.DataFrame, frames: Sequence[Frame],
                 prototypes: np.ndarray, cfg: FrameConfig, corpus: str, n: int, strategy: str, seed: int,
                 options: StrategyOptions) -> pd.DataFrame:
    """The n uncoded units of `corpus` to code next (pick order, with `reason` and `uncertainty`).

    `units` rows are aligned with `batch`; `gold` holds the coded units (any corpus: unit_id, frame). The model
    behind `uncertainty` is cfg.method fitted on every coded unit with cfg's options as given (no nested CV).
    """
    units = units.reset_index(drop=True)
    if corpus not in set(units["corpus"]):
        raise ValueError(f"no units of corpus {corpus!r} (corpora: {sorted(set(units['corpus']))})")
    frame_of = dict(zip(gold["unit_id"], gold["frame"], strict=True))
    coded = np.flatnonzero(units["unit_id"].isin(frame_of).to_numpy())
    pool_rows = np.flatnonzero(((units["corpus"] == corpus) & ~units["unit_id"].isin(frame_of)).to_numpy())
    labels = [frame_of[u] for u in units["unit_id"].iloc[coded]]
    scores = None
    if strategy == "uncertainty":
        if len(set(labels)) < 2:
            raise ValueError("strategy uncertainty needs coded units of at least two frames; start with stratified")
        framer = make_framer(cfg.method if cfg.method != "zeroshot" else "supervised", frames, prototypes, cfg)
        scores = framer.fit(batch.take(coded), labels).predict(batch.take(pool_rows)).scores
    pool = units.iloc[pool_rows].reset_index(drop=True)
    return choose_units(pool, n, strategy, seed, options, scores=scores, vectors=batch.unit[pool_rows],
                        label_ids=[f.id for f in frames], coded_labels=labels, prototypes=prototypes,
                        coded_vectors=batch.unit[coded] if len(coded) else None)
