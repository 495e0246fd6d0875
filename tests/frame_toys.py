"""Small hand-built inputs for the framing tests: toy units and utterances whose frame runs through them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.config import FrameConfig
from pipeline.frames.batch import make_batch
from pipeline.frames.cv import Selection, select_options


def toy_units(texts: dict[str, list[str]], concepts: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """A UNITS-like table: one row per text, utterances in the given order, `index` = position in the utterance."""
    rows = [{"corpus": "t", "doc_id": "t/d", "utterance_id": u, "unit_id": f"{u}/s{i}", "index": i, "text": t,
             "concepts": (concepts or {}).get(t, [])} for u, ts in texts.items() for i, t in enumerate(ts)]
    return pd.DataFrame(rows)


def clear_then_ambiguous(seed: int, n_utterances: int, n_ambiguous: int) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Utterances alternating org/tools: one clear unit near its frame's centre, then `n_ambiguous` units
    between both centres, all coded with the utterance's frame. Returns units, vectors and labels."""
    rng = np.random.default_rng(seed)
    centres = {"tools": np.array([3.0, 0, 0]), "org": np.array([0, 3.0, 0])}
    texts, x, y = {}, [], []
    for i in range(n_utterances):
        f = "tools" if i % 2 else "org"
        texts[f"u{i:02d}"] = [f"{c}{i}" for c in "abcdefgh"[:1 + n_ambiguous]]
        x += [centres[f] + rng.normal(0, 0.2, 3)]
        x += [np.array([1.0, 1.0, 0]) + rng.normal(0, 0.6, 3) for _ in range(n_ambiguous)]
        y += [f] * (1 + n_ambiguous)
    return toy_units(texts), np.array(x), y


def select_on_runs(frames: Any, seed: int, n_utterances: int, n_ambiguous: int, option: str,
                   values: list[Any]) -> Selection:
    """`select_options` (unit block, 2 inner folds) choosing `option` among `values` on `clear_then_ambiguous`
    utterances, each utterance coded with its frame."""
    units, x, y = clear_then_ambiguous(seed, n_utterances, n_ambiguous)
    cfg = FrameConfig(method="stacked", inner_folds=2, stacked={"blocks": ["unit"]}, select={option: values})
    per = 1 + n_ambiguous
    gold_utts = {f"u{i:02d}": y[per * i] for i in range(n_utterances)}
    return select_options(make_batch(units, x), np.arange(len(y)), np.array(y), gold_utts, frames, None, cfg)
