"""Validation of the frame routes against hand coding: gold codes aligned to the current units, out-of-fold
predictions (nested, grouped CV), unit- and utterance-level agreement with the coders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.agreement import report
from pipeline.common.codebook import Frame
from pipeline.common.codes import align_unit_codes, align_utterance_codes, text_key
from pipeline.common.config import FrameConfig
from pipeline.frames.aggregate import aggregate_utterances
from pipeline.frames.batch import UnitBatch, make_batch, utterance_texts
from pipeline.frames.cv import nested_out_of_fold, select_options, with_options
from pipeline.frames.framers import make_framer

# codes key -> (metrics key, coder name): coder2 re-coded a sample (test-retest), coder3 coded blind and independently
OTHER_CODERS = {"second": ("intercoder", "coder2"), "independent": ("intercoder_independent", "coder3")}


def gold_codes(units: pd.DataFrame, frames: Sequence[Frame], codes: dict[str, pd.DataFrame | None]
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """coder1's codes aligned to the current units and utterances: gold units (codebook examples left out),
    gold utterances, the unit and utterance codes that match nothing, and the number of examples left out."""
    examples = {text_key(t) for f in frames for t in f.examples}
    gold, lost = align_unit_codes(codes["units"], units)
    is_example = gold["text"].map(text_key).isin(examples)
    gold_utts, lost_utts = align_utterance_codes(codes["utterances"], utterance_texts(units))
    return (gold.loc[~is_example, ["unit_id", "frame"]], gold_utts[["utterance_id", "frame"]], lost, lost_utts,
            int(is_example.sum()))


def gold_rows(units: pd.DataFrame, gold: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the coded units in `units` and their gold frames."""
    units = units.reset_index(drop=True)
    coded = units.index[units["unit_id"].isin(gold["unit_id"])].to_numpy()
    y = units.iloc[coded][["unit_id"]].merge(gold, on="unit_id", how="left")["frame"].to_numpy()
    return coded, y


def predict_units(units: pd.DataFrame, x: np.ndarray | UnitBatch, method: str, frames: Sequence[Frame],
                  prototypes: np.ndarray | None, gold: pd.DataFrame, cfg: FrameConfig,
                  gold_utts: pd.DataFrame | None = None) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """Frame every unit with the chosen framer (trained ones are fitted on all coded units).

    With frame.select, the options are first chosen by grouped CV on all coded units. Returns the
    unit frames, the (n, k) score matrix and the options used.
    """
    batch = x if isinstance(x, UnitBatch) else make_batch(units, x)
    cfg = cfg.model_copy(update={"method": method})
    options: dict[str, Any] = {}
    if method != "zeroshot":
        coded, y = gold_rows(units, gold)
        if method == "stacked" and cfg.select:
            utts = dict(zip(gold_utts["utterance_id"], gold_utts["frame"], strict=True)) if gold_utts is not None else {}
            options = select_options(batch, coded, y, utts, frames, prototypes, cfg).options
            cfg = with_options(cfg, options)
        framer = make_framer(method, frames, prototypes, cfg).fit(batch.take(coded), y.tolist())
    else:
        framer = make_framer(method, frames, prototypes, cfg)
    pred = framer.predict(batch)
    table = pd.DataFrame({"corpus": units["corpus"].to_numpy(), "utterance_id": units["utterance_id"].to_numpy(),
                          "unit_id": units["unit_id"].to_numpy(), "frame": pred.frame.astype(str),
                          "score": pred.score.astype(float), "method": method})
    return table, pred.scores, {**options, "utterance_aggregate": cfg.utterance_aggregate}


def out_of_fold(units: pd.DataFrame, x: np.ndarray | UnitBatch, frames: Sequence[Frame], gold: pd.DataFrame,
                cfg: FrameConfig, prototypes: np.ndarray | None = None, gold_utts: pd.DataFrame | None = None,
                group_by: np.ndarray | None = None) -> pd.DataFrame:
    """Predictions where no unit of an utterance (or of a `group_by` group) was seen in training.

    Stratified K-fold over coded units, grouped by utterance (seeded); each fold's model frames every
    unit (coded or not) of its held-out utterances, so utterance scores are out-of-fold too. The
    route is cfg.method (supervised or stacked); frame.select options are chosen by inner folds of
    each outer training set (nested CV). The chosen options per fold are in `pred.attrs['chosen']`.
    """
    units = units.reset_index(drop=True)
    batch = x if isinstance(x, UnitBatch) else make_batch(units, x)
    if cfg.method == "zeroshot":
        cfg = cfg.model_copy(update={"method": "supervised"})
    coded, y = gold_rows(units, gold)
    utts = dict(zip(gold_utts["utterance_id"], gold_utts["frame"], strict=True)) if gold_utts is not None else {}
    pred, chosen = nested_out_of_fold(batch, units["unit_id"].to_numpy(), coded, y, utts, frames, prototypes, cfg,
                                      group_by)
    pred.attrs["chosen"] = chosen
    return pred


def agreement_with_codes(pred: pd.DataFrame, gold_units: pd.DataFrame, gold_utts: pd.DataFrame, frame_ids: list[str],
             residual: str, cfg: FrameConfig, n_boot: int) -> dict[str, Any]:
    """Unit- and utterance-level agreement of unit predictions with the coded units and utterances.

    Utterances are aggregated with the rule in pred['utterance_aggregate'] (chosen per fold) when
    present, else frame.utterance_aggregate; 'mean' needs pred['scores'].
    """
    u = gold_units.merge(pred[["unit_id", "frame"]], on="unit_id", suffixes=("_gold", "_pred"))
    coded = pred[pred["utterance_id"].isin(gold_utts["utterance_id"])]
    hows = coded["utterance_aggregate"] if "utterance_aggregate" in coded else pd.Series(cfg.utterance_aggregate, index=coded.index)
    parts = [aggregate_utterances(part, frame_ids, residual, cfg.utterance_ignore_residual, how,
                                  np.stack(part["scores"].to_list()) if how == "mean" else None)
             for how, part in coded.groupby(hows, sort=True)]
    utt_pred = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["utterance_id", "frame"])
    v = gold_utts.merge(utt_pred[["utterance_id", "frame"]], on="utterance_id", suffixes=("_gold", "_pred"))
    return {
        "unit": report(u["frame_gold"].tolist(), u["frame_pred"].tolist(), frame_ids, n_boot, cfg.seed),
        "utterance": report(v["frame_gold"].tolist(), v["frame_pred"].tolist(), frame_ids, n_boot, cfg.seed),
        "_pairs": {"unit": u, "utterance": v},
    }
