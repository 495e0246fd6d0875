"""Stage `frame`: codebook frames for units and utterances, validated against hand coding."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.agreement import intercoder, report
from pipeline.common.codes import align_unit_codes, align_utterance_codes, text_key
from pipeline.common.config import ConfigError, FrameConfig
from pipeline.common.eval_items import frame_items
from pipeline.common.schema import (
    EVAL_ITEMS,
    FRAME_TOPICS,
    PROBLEMS,
    UNIT_FRAMES,
    UTTERANCE_FRAMES,
    frame,
)
from pipeline.common.storage import atomic_path, write_json, write_table
from pipeline.frames.cv import nested_out_of_fold, select_options, with_options
from pipeline.frames.features import (
    UnitBatch,
    make_batch,
    utterance_texts,
)
from pipeline.frames.framers import (
    Frame,
    aggregate_utterances,
    frame_topic_crosstab,
    make_framer,
    residual_frame,
)
from pipeline.frames.inputs import add_input_args, read_inputs


def _gold_rows(units: pd.DataFrame, gold: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
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
        coded, y = _gold_rows(units, gold)
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
    coded, y = _gold_rows(units, gold)
    utts = dict(zip(gold_utts["utterance_id"], gold_utts["frame"], strict=True)) if gold_utts is not None else {}
    pred, chosen = nested_out_of_fold(batch, units["unit_id"].to_numpy(), coded, y, utts, frames, prototypes, cfg,
                                      group_by)
    pred.attrs["chosen"] = chosen
    return pred


def evaluate(pred: pd.DataFrame, gold_units: pd.DataFrame, gold_utts: pd.DataFrame, frame_ids: list[str],
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


# codes key -> (metrics key, coder name): coder2 re-coded a sample (test-retest), coder3 coded blind and independently
OTHER_CODERS = {"second": ("intercoder", "coder2"), "independent": ("intercoder_independent", "coder3")}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options (every path passed in)."""
    ap = argparse.ArgumentParser(prog="python -m pipeline frame", description=__doc__)
    add_input_args(ap)
    ap.add_argument("--second-coder", type=Path, default=None, help="coder2 unit annotations CSV (re-coding)")
    ap.add_argument("--independent-coder", type=Path, default=None, help="coder3 unit annotations CSV (independent)")
    ap.add_argument("--unit-topics", type=Path, default=None, help="optional clustering output")
    ap.add_argument("--unit-frames", type=Path, required=True)
    ap.add_argument("--utterance-frames", type=Path, required=True)
    ap.add_argument("--frame-topics", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--confusion-units", type=Path, required=True, help="CSV actual,predicted,id for dvc plots")
    ap.add_argument("--confusion-utterances", type=Path, required=True)
    ap.add_argument("--eval-items", type=Path, default=None,
                    help="eval_items table: the items behind each confusion matrix (unit, utterance, intercoder)")
    ap.add_argument("--problems", type=Path, required=True)
    return ap.parse_args(argv)


@dataclass(frozen=True)
class FramingResult:
    """Everything the stage writes."""

    unit_frames: pd.DataFrame
    utterance_frames: pd.DataFrame
    frame_topics: pd.DataFrame
    metrics: dict[str, Any]
    pairs: dict[str, pd.DataFrame]
    problems: list[dict]


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
    results = {name: evaluate(pred, gold, gold_utts, frame_ids, residual, cfg,
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


def main(argv: list[str]) -> int:
    """Load, frame and validate, write tables, metrics and the confusion data for dvc plots."""
    args = parse_args(argv)
    try:
        inp = read_inputs(args)
    except (ConfigError, ValueError, FileNotFoundError, KeyError) as e:
        sys.stderr.write(f"frame: {e}\n")
        return 1
    cfg, units, codes = inp.params.frame, inp.units, inp.codes
    res = frame_corpus(units, inp.batch, inp.frames, inp.prototypes, codes, inp.topics, cfg)
    write_table(res.unit_frames, UNIT_FRAMES, args.unit_frames)
    write_table(res.utterance_frames, UTTERANCE_FRAMES, args.utterance_frames)
    write_table(res.frame_topics, FRAME_TOPICS, args.frame_topics)
    sources = {"unit annotations": str(args.unit_codes), "utterance annotations": str(args.utterance_codes)}
    problems = [{**r, "source": sources.get(r["source"], r["source"])} for r in res.problems]
    write_table(frame(problems, PROBLEMS), PROBLEMS, args.problems)
    write_json(res.metrics, args.metrics)
    for lvl, path in (("unit", args.confusion_units), ("utterance", args.confusion_utterances)):
        with atomic_path(path) as tmp:
            confusion_rows(res.pairs[lvl], f"{lvl}_id").to_csv(tmp, index=False)
    if args.eval_items:
        others = {name: codes[key] for key, (name, _) in OTHER_CODERS.items() if codes.get(key) is not None}
        write_table(frame_items(res.pairs, codes["units"], others, units), EVAL_ITEMS, args.eval_items)
    m = res.metrics
    sys.stderr.write(f"frame: {len(res.unit_frames)} units, {len(res.utterance_frames)} utterances ({cfg.method}); "
                     f"macro-F1 unit {m['unit'].get('macro_f1')}, utterance {m['utterance'].get('macro_f1')}\n")
    return 0
