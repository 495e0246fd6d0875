"""The frame stage's core: frame every unit and utterance with frame.method, validate every route against the
coders, cross-tabulate frames with topics (pure: tables in, tables and metrics out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.coding.curve import CurveData, coding_curve, plot_table, tqdm_progress
from pipeline.coding.strategies import StrategyOptions
from pipeline.common.agreement import intercoder
from pipeline.common.codebook import Frame, residual_frame
from pipeline.common.codes import align_unit_codes
from pipeline.common.config import CodingCurveConfig, FrameConfig, RelevanceConfig
from pipeline.common.schema import FRAME_TOPICS
from pipeline.frames.aggregate import aggregate_utterances, frame_topic_crosstab
from pipeline.frames.batch import UnitBatch, make_batch
from pipeline.frames.by_document import across_documents, per_corpus
from pipeline.frames.relevance import Topic, apply_relevance, decide, relevance_features
from pipeline.frames.uncoded import serve_uncoded, uncoded_frames, uncoded_problems
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
    learning_curve: pd.DataFrame | None = None


def frame_corpus(units: pd.DataFrame, x: np.ndarray | UnitBatch, frames: Sequence[Frame], prototypes: np.ndarray,
                 codes: dict[str, pd.DataFrame | None], topics: pd.DataFrame | None, cfg: FrameConfig,
                 curve: tuple[CodingCurveConfig, StrategyOptions] | None = None,
                 relevance: tuple[Topic, np.ndarray, RelevanceConfig] | None = None) -> FramingResult:
    """Frame units and utterances with cfg.method, validate the routes (within and across documents, per
    corpus), serve frames nobody coded yet, cross-tab with topics; with `curve`, the learning curve too.

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
    trainable = gold["frame"].nunique() >= 2
    if len(gold) and not trainable:
        problems.append({"corpus": corpus, "source": "unit annotations", "location": None, "stage": "frame",
                         "reason": "too-few-coded-frames",
                         "detail": f"the coded units carry one frame only ({gold['frame'].iloc[0]!r}): no route can be "
                                   "trained or validated; the zero-shot route frames the units"})
        cfg = cfg.model_copy(update={"method": "zeroshot"})
    for name in dict.fromkeys(("supervised", cfg.method)):
        if name != "zeroshot" and len(gold) and trainable:
            routes[name] = out_of_fold(units, batch, frames, gold, cfg.model_copy(update={"method": name}),
                                       prototypes, gold_utts)
    results = {name: agreement_with_codes(pred, gold, gold_utts, frame_ids, residual, cfg,
                              cfg.bootstrap if name == cfg.method else 0)
               for name, pred in routes.items()}
    chosen = results.get(cfg.method)
    unit_frames, scores, options = predict_units(units, batch, cfg.method, frames, prototypes, gold, cfg, gold_utts)
    uncoded = uncoded_frames(frames, gold) if len(gold) else []
    problems += uncoded_problems(uncoded, corpus, "codebook frames", cfg.uncoded_frames == "zeroshot")
    if cfg.uncoded_frames == "zeroshot" and cfg.method != "zeroshot":
        unit_frames = serve_uncoded(unit_frames, zs, uncoded, cfg.other_threshold)
    across, _ = across_documents(units, batch, frames, gold, gold_utts, prototypes, cfg) if len(gold) else (None, None)
    unit_frames, scores, on_topic_share = filter_off_topic(units, batch, unit_frames, scores, frame_ids, residual,
                                                           relevance)
    utt = aggregate_utterances(unit_frames, frame_ids, residual, cfg.utterance_ignore_residual,
                               options["utterance_aggregate"], scores)
    utt = utt.merge(units[["utterance_id", "corpus"]].drop_duplicates("utterance_id"), on="utterance_id")
    utt["on_topic"] = utt["utterance_id"].map(unit_frames.groupby("utterance_id")["on_topic"].any()).astype(bool)
    utt["share_frames"] = [frame_ids] * len(utt)
    crosstab = frame_topic_crosstab(unit_frames, topics) if topics is not None else pd.DataFrame(columns=FRAME_TOPICS.names)
    metrics: dict[str, Any] = {
        "method": cfg.method,
        "unit": chosen["unit"] if chosen else {},
        "utterance": chosen["utterance"] if chosen else {},
        "routes": {n: {f"{lvl}_{m}": r[lvl][m] for lvl in ("unit", "utterance") for m in ("macro_f1", "kappa", "n")}
                   for n, r in results.items()},
        "across_documents": {k: v for k, v in (across or {}).items() if k != "_pairs"},
        "relevance": on_topic_share,
        "per_corpus": per_corpus(units, gold, across, frame_ids, cfg.bootstrap, cfg.seed),
        "coding": {"unit_codes": len(gold), "utterance_codes": len(gold_utts),
                   "excluded_as_codebook_examples": n_examples,
                   "unaligned_unit_codes": len(lost), "unaligned_utterance_codes": len(lost_utts),
                   "frames_without_codes": uncoded},
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
    learning = learning_curve(units, batch, gold, gold_utts, frames, prototypes, cfg, curve) if curve and trainable else None
    return FramingResult(unit_frames, utt, crosstab, metrics, pairs, problems, learning)


def filter_off_topic(units: pd.DataFrame, batch: UnitBatch, unit_frames: pd.DataFrame, scores: np.ndarray,
                     frame_ids: list[str], residual: str, relevance: tuple[Topic, np.ndarray, RelevanceConfig] | None
                     ) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """Off-topic units take the residual frame (pipeline/frames/relevance.py), reason and model frame kept;
    returns the unit frames, their score rows and the on-topic shares per corpus and document."""
    if relevance is None:
        out = unit_frames.assign(on_topic=True, relevance="not-checked", model_frame=unit_frames["frame"])
        return out, scores, {"checked": False}
    topic, proto, rcfg = relevance
    decisions = decide(relevance_features(units, batch.unit, proto, topic), rcfg)
    out = apply_relevance(unit_frames.assign(scores=list(scores)), decisions, residual, frame_ids)
    out = out.rename(columns={"relevance_reason": "relevance"})
    new_scores = np.stack(out.pop("scores").to_list()) if len(out) else scores
    on = out["on_topic"].astype(bool)
    shares: dict[str, Any] = {"checked": True, "thresholds": dict(rcfg.thresholds), "per_corpus": {}, "per_document": {}}
    for key, col in (("per_corpus", "corpus"), ("per_document", "doc_id")):
        grp = on.groupby(units[col].to_numpy())
        for name, n_on in grp.sum().items():
            n = int(grp.size()[name])
            shares[key][str(name)] = {"units": n, "off_topic": n - int(n_on), "off_topic_share": round(1 - n_on / n, 4)}
    return out, new_scores, shares


def learning_curve(units: pd.DataFrame, batch: UnitBatch, gold: pd.DataFrame, gold_utts: pd.DataFrame,
                   frames: Sequence[Frame], prototypes: np.ndarray, cfg: FrameConfig,
                   curve: tuple[CodingCurveConfig, StrategyOptions]) -> pd.DataFrame | None:
    """Macro-F1 against coded units on held-out groups (pipeline/coding/curve.py), wide for dvc plots."""
    units = units.reset_index(drop=True)
    frame_of = dict(zip(gold["unit_id"], gold["frame"], strict=True))
    coded = np.flatnonzero(units["unit_id"].isin(frame_of).to_numpy())
    if len(coded) < curve[0].initial or units.loc[coded, "doc_id"].nunique() < 2:
        return None
    y = np.array([frame_of[u] for u in units["unit_id"].iloc[coded]], dtype=object)
    data = CurveData(units, batch, coded, y, dict(zip(gold_utts["utterance_id"], gold_utts["frame"], strict=True)),
                     frames, prototypes, cfg)
    return plot_table(coding_curve(data, curve[0], curve[1], tqdm_progress(
        len(curve[0].holdouts) * len(curve[0].strategies) * len(curve[0].seeds), "learning curve")))


def confusion_rows(pairs: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """The dvc-plots confusion CSV: actual, predicted and the coded item's id (unit_id or utterance_id)."""
    return pd.DataFrame({"actual": pairs["frame_gold"].to_numpy(), "predicted": pairs["frame_pred"].to_numpy(),
                         "id": pairs[id_col].to_numpy()})
