"""Learning curves of the frame classifier against the number of coded units, and the coding-loop simulation.

The codes of the coded units are hidden and revealed in rounds: `initial` random units first, then
`batch` more per round chosen by a strategy (pipeline/coding/strategies.py) from the *training*
groups only; after each round the framer is refitted with fixed options (no nested CV) and scores
the held-out groups, which no strategy ever sees. Holdout `document` leaves one document out per
fold, `utterance` is a grouped K-fold over utterances. Each fold's held-out predictions at a round
are pooled over folds before macro-F1 (unit and utterance level), as the frame stage pools its
out-of-fold predictions. A fold whose pool is exhausted keeps its last model (`saturated_folds`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.coding.strategies import StrategyOptions, choose_units
from pipeline.common.agreement import confusion, macro_f1
from pipeline.common.codebook import Frame, residual_frame
from pipeline.common.config import CodingConfig, CodingCurveConfig, FrameConfig
from pipeline.frames.aggregate import aggregate_utterances
from pipeline.frames.batch import UnitBatch
from pipeline.frames.cv import frames_table, grouped_folds, with_options
from pipeline.frames.framers import make_framer

CURVE_COLUMNS = ["holdout", "strategy", "seed", "round", "n_coded", "level", "macro_f1", "n_items", "saturated_folds"]


@dataclass(frozen=True)
class CurveData:
    """What a curve reads: units (unit_id, doc_id, utterance_id, concepts) aligned with `batch`, the coded
    rows and their frames, coded utterances, the codebook frames, their prototypes and the frame config."""

    units: pd.DataFrame
    batch: UnitBatch
    coded: np.ndarray
    y: np.ndarray
    gold_utts: dict[str, str]
    frames: Sequence[Frame]
    prototypes: np.ndarray | None
    cfg: FrameConfig


def strategy_options(coding: CodingConfig) -> StrategyOptions:
    """The selection options of params.yaml `coding`."""
    return StrategyOptions(coding.measure, coding.diversity, coding.max_per_utterance, coding.kcenter_pool,
                           coding.cold_start_per_label)


def holdout_folds(data: CurveData, holdout: str, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training coded rows, held-out unit rows) per fold: one document out, or grouped K-fold over utterances."""
    units = data.units.reset_index(drop=True)
    if holdout == "document":
        docs = units["doc_id"].astype(str).to_numpy()
        groups = [[d] for d in sorted(set(docs[data.coded]))]
    elif holdout == "utterance":
        docs = units["utterance_id"].astype(str).to_numpy()
        split = grouped_folds(data.y, docs[data.coded], folds, seed)
        groups = [sorted(set(docs[data.coded[te]])) for _, te in split]
    else:
        raise ValueError(f"curve holdout {holdout!r}: choose document or utterance")
    out = []
    for held_groups in groups:
        held = np.flatnonzero(np.isin(docs, held_groups))
        out.append((data.coded[~np.isin(data.coded, held)], held))
    return out


def score_pooled(data: CurveData, rows: np.ndarray, scores: np.ndarray) -> dict[str, tuple[float, int]]:
    """Unit and utterance macro-F1 (and item counts) of score rows for `rows` (whole utterances)."""
    frame_ids, residual = [f.id for f in data.frames], residual_frame(data.frames)
    pred = frames_table(scores, data.batch.take(rows), frame_ids)
    gold = dict(zip(data.coded.tolist(), data.y.tolist(), strict=True))
    mask = np.array([r in gold for r in rows.tolist()], dtype=bool)
    cu = confusion([gold[r] for r in rows[mask].tolist()], pred["frame"][mask].tolist(), frame_ids)
    utt = aggregate_utterances(pred, frame_ids, residual, data.cfg.utterance_ignore_residual,
                               data.cfg.utterance_aggregate, scores)
    utt = utt[utt["utterance_id"].isin(data.gold_utts)]
    cv = confusion([data.gold_utts[u] for u in utt["utterance_id"]], utt["frame"].tolist(), frame_ids)
    return {"unit": (macro_f1(cu), int(mask.sum())), "utterance": (macro_f1(cv), len(utt))}


def run_rounds(data: CurveData, train: np.ndarray, held: np.ndarray, strategy: str, seed: int,
               spec: CodingCurveConfig, options: StrategyOptions, n_rounds: int) -> list[np.ndarray]:
    """Held-out score rows after each of `n_rounds` rounds (round 0 = the initial random units)."""
    units = data.units.reset_index(drop=True)
    gold = dict(zip(data.coded.tolist(), data.y.tolist(), strict=True))
    frame_ids = [f.id for f in data.frames]
    train = np.sort(train)
    rng = np.random.default_rng(seed)
    coded = np.sort(rng.choice(train, size=min(spec.initial, len(train)), replace=False))
    out: list[np.ndarray] = []
    pool_scores = np.zeros((len(train), len(frame_ids)))  # only coded training rows can be picked
    for r in range(n_rounds):
        if r:
            free = train[~np.isin(train, coded)]
            if len(free):
                pick = choose_units(units.iloc[free].reset_index(drop=True), spec.batch, strategy, seed * 1000 + r,
                                    options, scores=pool_scores[np.searchsorted(train, free)],
                                    vectors=data.batch.unit[free], label_ids=frame_ids,
                                    coded_labels=[gold[i] for i in coded.tolist()], prototypes=data.prototypes,
                                    coded_vectors=data.batch.unit[coded])
                row_of = dict(zip(units["unit_id"].iloc[free], free.tolist(), strict=True))
                coded = np.sort(np.concatenate([coded, [row_of[u] for u in pick["unit_id"]]]).astype(np.int64))
        framer = make_framer(data.cfg.method, data.frames, data.prototypes, data.cfg)
        framer.fit(data.batch.take(coded), [gold[i] for i in coded.tolist()])
        scores = framer.predict(data.batch.take(np.concatenate([train, held]))).scores
        pool_scores, held_scores = scores[:len(train)], scores[len(train):]
        out.append(held_scores)
    return out


def coding_curve(data: CurveData, spec: CodingCurveConfig, options: StrategyOptions,
                 progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Macro-F1 (unit, utterance) against coded units, per holdout, strategy and seed (CURVE_COLUMNS)."""
    cfg = with_options(data.cfg, spec.options)
    data = CurveData(data.units.reset_index(drop=True), data.batch, np.asarray(data.coded), np.asarray(data.y),
                     data.gold_utts, data.frames, data.prototypes, cfg)
    rows: list[dict[str, Any]] = []
    for holdout in spec.holdouts:
        folds = holdout_folds(data, holdout, spec.folds, cfg.seed)
        biggest = max(len(tr) for tr, _ in folds)
        n_rounds = 1 + max(0, -(-(min(spec.max_coded, biggest) - spec.initial) // spec.batch))
        sizes = [[min(spec.initial + r * spec.batch, len(tr)) for r in range(n_rounds)] for tr, _ in folds]
        for strategy in spec.strategies:
            for seed in spec.seeds:
                if progress:
                    progress(f"{holdout} {strategy} seed {seed}")
                per_fold = [run_rounds(data, tr, held, strategy, seed, spec, options, n_rounds) for tr, held in folds]
                held_rows = np.concatenate([held for _, held in folds])
                for r in range(n_rounds):
                    scored = score_pooled(data, held_rows, np.vstack([f[r] for f in per_fold]))
                    saturated = sum(s[r] < spec.initial + r * spec.batch for s in sizes)
                    for level, (f1, n_items) in scored.items():
                        rows.append({"holdout": holdout, "strategy": strategy, "seed": seed, "round": r,
                                     "n_coded": spec.initial + r * spec.batch, "level": level,
                                     "macro_f1": round(f1, 4), "n_items": n_items, "saturated_folds": saturated})
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def summarise(curve: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation, min and max of macro-F1 over seeds per holdout, level, strategy and n_coded."""
    keys = ["holdout", "level", "strategy", "n_coded"]
    g = curve.groupby(keys, sort=True)["macro_f1"]
    out = pd.concat([g.mean().rename("mean"), g.std(ddof=0).rename("sd"), g.min().rename("min"), g.max().rename("max"),
                     curve.groupby(keys, sort=True)["saturated_folds"].max()], axis=1).reset_index()
    return out.round({"mean": 4, "sd": 4, "min": 4, "max": 4})


def units_to_reach(curve: pd.DataFrame, targets: Sequence[float]) -> pd.DataFrame:
    """Per holdout, level, strategy and target: fewest coded units where the mean over seeds reaches the target,
    and the median over seeds of each seed's first n reaching it (NaN when never reached)."""
    summary = summarise(curve)
    rows = []
    for (holdout, level, strategy), grp in summary.groupby(["holdout", "level", "strategy"], sort=True):
        per_seed = curve[(curve["holdout"] == holdout) & (curve["level"] == level) & (curve["strategy"] == strategy)]
        for t in targets:
            hit = grp.loc[grp["mean"] >= t, "n_coded"]
            firsts = [s.loc[s["macro_f1"] >= t, "n_coded"].min() for _, s in per_seed.groupby("seed")]
            reached = [f for f in firsts if pd.notna(f)]
            rows.append({"holdout": holdout, "level": level, "strategy": strategy, "target": t,
                         "n_mean_curve": float(hit.min()) if len(hit) else np.nan,
                         "n_median_seed": float(np.median(firsts)) if len(reached) == len(firsts) else np.nan,
                         "seeds_reaching": f"{len(reached)}/{len(firsts)}"})
    return pd.DataFrame(rows)


def paired_difference(curve: pd.DataFrame, strategy: str, baseline: str) -> pd.DataFrame:
    """Per holdout, level and n_coded: mean over seeds of `strategy` minus `baseline` macro-F1 (same seed, same
    initial units) and how many seeds it is ahead."""
    keys = ["holdout", "level", "n_coded", "seed"]
    a = curve[curve["strategy"] == strategy].set_index(keys)["macro_f1"]
    b = curve[curve["strategy"] == baseline].set_index(keys)["macro_f1"]
    d = (a - b).dropna().rename("diff").reset_index()
    g = d.groupby(["holdout", "level", "n_coded"], sort=True)["diff"]
    out = pd.concat([g.mean().round(4).rename("mean_diff"), g.apply(lambda x: int((x > 0).sum())).rename("seeds_ahead"),
                     g.size().rename("seeds")], axis=1).reset_index()
    return out


def plot_table(curve: pd.DataFrame) -> pd.DataFrame:
    """Wide table for a DVC plot: n_coded and one mean-over-seeds column per `<holdout>_<level>_<strategy>`."""
    s = summarise(curve)
    s["series"] = s["holdout"] + "_" + s["level"] + "_" + s["strategy"]
    return s.pivot(index="n_coded", columns="series", values="mean").reset_index().rename_axis(columns=None)


def tqdm_progress(total: int, desc: str) -> Callable[[str], None]:
    """A progress callback backed by tqdm (silent under CI)."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, disable=bool(os.environ.get("CI")))

    def step(label: str) -> None:
        bar.set_postfix_str(label)
        bar.update(1)

    return step
