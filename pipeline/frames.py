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

from pipeline.coding_core import align_unit_codes, align_utterance_codes, text_key
from pipeline.config import ConfigError, FrameConfig, load_params, load_yaml
from pipeline.embedders import make_embedder
from pipeline.eval_items import frame_items
from pipeline.frame_cv import nested_out_of_fold, select_options, with_options
from pipeline.frame_features import (
    UnitBatch,
    make_batch,
    uses_block,
    utterance_texts,
    utterance_vectors,
)
from pipeline.framing import (
    Frame,
    aggregate_utterances,
    contextualise,
    frame_topic_crosstab,
    load_frames,
    make_framer,
    prototype_vectors,
    residual_frame,
)
from pipeline.io import atomic_path, read_table, write_json, write_table
from pipeline.schema import (
    EMBEDDINGS,
    EVAL_ITEMS,
    FRAME_TOPICS,
    PROBLEMS,
    UNIT_CODES,
    UNIT_FRAMES,
    UNIT_TOPICS,
    UNITS,
    UTTERANCE_CODES,
    UTTERANCE_FRAMES,
    frame,
)
from pipeline.validation import cohen_kappa, confusion, krippendorff_alpha, report


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


def intercoder(first: pd.DataFrame, second: pd.DataFrame, frame_ids: list[str], other: str = "coder2") -> dict[str, Any]:
    """Cohen's kappa, Krippendorff's alpha and raw agreement on the units both coders coded."""
    both = first.merge(second, on="unit_id", suffixes=("_1", "_2"))
    if both.empty:
        return {"n": 0}
    cm = confusion(both["frame_1"].tolist(), both["frame_2"].tolist(), frame_ids)
    return {"n": len(both), "kappa": round(cohen_kappa(cm), 4),
            "alpha": round(krippendorff_alpha([both["frame_1"].tolist(), both["frame_2"].tolist()], frame_ids), 4),
            "agreement": round(float(np.trace(cm) / cm.sum()), 4),
            "confusion": {"labels": frame_ids, f"rows_coder1_cols_{other}": cm.tolist()}}


def load_codes(path: Path | None, table: Any) -> pd.DataFrame:
    """An annotations CSV (empty table when no path)."""
    if path is None:
        return pd.DataFrame(columns=table.names)
    return pd.read_csv(path, dtype=str, keep_default_na=False)[table.names]


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options (every path passed in)."""
    ap = argparse.ArgumentParser(prog="python -m pipeline frame", description=__doc__)
    ap.add_argument("--units", type=Path, required=True)
    ap.add_argument("--embeddings", type=Path, required=True)
    ap.add_argument("--codebook", type=Path, required=True)
    ap.add_argument("--params", type=Path, default=Path("params.yaml"))
    ap.add_argument("--unit-codes", type=Path, required=True, help="coder1 unit annotations CSV")
    ap.add_argument("--utterance-codes", type=Path, required=True, help="coder1 utterance annotations CSV")
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


def frame_corpus(units: pd.DataFrame, x: np.ndarray | UnitBatch, frames: Sequence[Frame], prototypes: np.ndarray,
                 codes: dict[str, pd.DataFrame | None], topics: pd.DataFrame | None, cfg: FrameConfig) -> FramingResult:
    """Frame units and utterances with cfg.method, validate the routes, cross-tab with topics.

    `codes` holds the raw annotation tables: 'units' and 'utterances' (coder1), and optionally 'second'
    (coder2) and 'independent' (coder3), each compared with coder1 on the units both coded.
    Coded units whose text equals a codebook example are left out of validation.
    """
    frame_ids, residual = [f.id for f in frames], residual_frame(frames)
    examples = {text_key(t) for f in frames for t in f.examples}
    gold, lost = align_unit_codes(codes["units"], units)
    is_example = gold["text"].map(text_key).isin(examples)
    gold = gold.loc[~is_example, ["unit_id", "frame"]]
    texts = utterance_texts(units)
    gold_utts, lost_utts = align_utterance_codes(codes["utterances"], texts)
    gold_utts = gold_utts[["utterance_id", "frame"]]
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
                   "excluded_as_codebook_examples": int(is_example.sum()),
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
        params = load_params(args.params)
        cfg = params.frame
        frames = load_frames(load_yaml(args.codebook), str(args.codebook))
        units = read_table(args.units, UNITS).sort_values("unit_id", kind="stable").reset_index(drop=True)
        emb = read_table(args.embeddings, EMBEDDINGS).set_index("unit_id")
        missing = sorted(set(units["unit_id"]) - set(emb.index))
        if missing:
            raise ValueError(f"{args.embeddings}: no vectors for {len(missing)} units (e.g. {missing[:3]})")
        raw = np.stack([np.asarray(v, dtype=np.float64) for v in emb.loc[units["unit_id"], "vector"]])
        embedder = make_embedder(params.embed)
        utt_vectors = utterance_vectors(units, embedder.embed) if uses_block(cfg, "utterance") else None
        x = make_batch(units, raw, contextualise(raw, units["utterance_id"].tolist(), cfg.context_weight), utt_vectors)
        codes = {"units": load_codes(args.unit_codes, UNIT_CODES),
                 "utterances": load_codes(args.utterance_codes, UTTERANCE_CODES),
                 "second": load_codes(args.second_coder, UNIT_CODES) if args.second_coder else None,
                 "independent": load_codes(args.independent_coder, UNIT_CODES) if args.independent_coder else None}
        topics = read_table(args.unit_topics, UNIT_TOPICS) if args.unit_topics and args.unit_topics.exists() else None
        # Both routes are always validated (for comparison); the zero-shot one needs frame prototypes.
        prototypes = prototype_vectors(frames, embedder.embed)
    except (ConfigError, ValueError, FileNotFoundError, KeyError) as e:
        sys.stderr.write(f"frame: {e}\n")
        return 1
    res = frame_corpus(units, x, frames, prototypes, codes, topics, cfg)
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
