"""The frame stage's core: frame every unit and utterance with frame.method, validate every route against the
coders, cross-tabulate frames with topics (pure: tables in, tables and metrics out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.agreement import intercoder
from pipeline.common.codebook import Frame, residual_frame
from pipeline.common.codes import align_unit_codes
from pipeline.common.config import FrameConfig
from pipeline.common.schema import FRAME_TOPICS
from pipeline.frames.aggregate import aggregate_utterances, frame_topic_crosstab
from pipeline.frames.batch import UnitBatch, make_batch
from pipeline.frames.validation import (
    OTHER_CODERS,
    agreement_with_codes,
    gold_codes,
    out_of_fold,
    predict_units,
)


@dataclass(frozen=True)
class FramingResult:
    """Everything the stage writes."""

    unit_frames: pd.DataFrame
    utterance_frames: pd.DataFrame
    frame_topics: pd.DataFrame
    metrics: dict[str, Any]
    pairs: dict[str, pd.DataFrame]
    problems: list[dict]


def frame_corpus(units: pd.DataFrame, x: np.ndarray | UnitBatch, frames: Sequence[Frame], prototypes: np.ndarray,
                 codes: dict[str, pd.DataFrame | None], topics: pd.DataFrame | None, cfg: FrameConfig) -> FramingResult:
    """Frame units and utterances with cfg.method, validate the routes, cross-tab with topics.

    `codes` holds the raw annotation tables: 'units' and 'utterances' (coder1), and optionally 'second'
    (coder2) and 'independent' (coder3), each compared with coder1 on the units both coded.
    Coded units whose text equals a codebook example are left out of validation.
    """
    frame_ids, residual = [f.id for f in frames], residual_frame(frames)
    gold, gold_utts, lost, lost_utts, n_examples = gold_codes(units, frames, codes)
    corpus = str(units["corpus"].iloc[0]) if len(units) else ""
    problems = [{"corpus": corpus, "source": f"{kind} annotations", "location": str(r.get(key)), "stage": "frame",
                 "reason": "unaligned-code",
                 "detail": f"coded {kind} {r.get(key)!r} ({str(r.get('text'))[:60]!r}) matches no current {kind}"}
                for kind, df, key in (("unit", lost, "unit_id"), ("utterance", lost_utts, "utterance_id"))
                for r in df.to_dict("records")]
    batch = x if isinstance(x, UnitBatch) else make_batch(units, x)
    zs, zs_scores, _ = predict_units(units, batch, "zeroshot", frames, prototypes, gold, cfg)
    routes = {"zeroshot": zs.assign(scores=list(zs_scores))}
    for name in dict.fromkeys(("supervised", cfg.method)):
        if name != "zeroshot" and len(gold):
            routes[name] = out_of_fold(units, batch, frames, gold, cfg.model_copy(update={"method": name}),
                                       prototypes, gold_utts)
    results = {name: agreement_with_codes(pred, gold, gold_utts, frame_ids, residual, cfg,
                              cfg.bootstrap if name == cfg.method else 0)
               for name, pred in routes.items()}
    chosen = results.get(cfg.method)
    unit_frames, scores, options = predict_units(units, batch, cfg.method, frames, prototypes, gold, cfg, gold_utts)
    utt = aggregate_utterances(unit_frames, frame_ids, residual, cfg.utterance_ignore_residual,
                               options["utterance_aggregate"], scores)
    utt = utt.merge(units[["utterance_id", "corpus"]].drop_duplicates("utterance_id"), on="utterance_id")
    utt["share_frames"] = [frame_ids] * len(utt)
    crosstab = frame_topic_crosstab(unit_frames, topics) if topics is not None else pd.DataFrame(columns=FRAME_TOPICS.names)
    metrics: dict[str, Any] = {
        "method": cfg.method,
        "unit": chosen["unit"] if chosen else {},
        "utterance": chosen["utterance"] if chosen else {},
        "routes": {n: {f"{lvl}_{m}": r[lvl][m] for lvl in ("unit", "utterance") for m in ("macro_f1", "kappa", "n")}
                   for n, r in results.items()},
        "coding": {"unit_codes": len(gold), "utterance_codes": len(gold_utts),
                   "excluded_as_codebook_examples": n_examples,
                   "unaligned_unit_codes": len(lost), "unaligned_utterance_codes": len(lost_utts)},
        "frame_shares": {f: round(float((unit_frames["frame"] == f).mean()), 4) for f in frame_ids} if len(units) else {},
        "cv": {"folds": cfg.cv_folds, "grouped_by": "utterance", "seed": cfg.seed,
               "inner_folds": cfg.inner_folds if cfg.select and cfg.method == "stacked" else None,
               "chosen_per_outer_fold": routes[cfg.method].attrs.get("chosen") if cfg.method in routes else None,
               "final_options": options},
    }
    first = align_unit_codes(codes["units"], units)[0][["unit_id", "frame"]]
    for key, (name, coder) in OTHER_CODERS.items():
        if codes.get(key) is not None:
            other = align_unit_codes(codes[key], units)[0][["unit_id", "frame"]]
            metrics[name] = intercoder(first, other, frame_ids, coder)
    empty = pd.DataFrame(columns=["unit_id", "utterance_id", "frame_gold", "frame_pred"])
    pairs = {lvl: (chosen["_pairs"][lvl] if chosen else empty) for lvl in ("unit", "utterance")}
    return FramingResult(unit_frames, utt, crosstab, metrics, pairs, problems)


def confusion_rows(pairs: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """The dvc-plots confusion CSV: actual, predicted and the coded item's id (unit_id or utterance_id)."""
    return pd.DataFrame({"actual": pairs["frame_gold"].to_numpy(), "predicted": pairs["frame_pred"].to_numpy(),
                         "id": pairs[id_col].to_numpy()})
