"""Relevance: does a unit belong to the codebook's debate? Topic evidence per unit, decision, reasons (pure).

The codebook's `topic:` block describes the debate; its prototype is the mean of the unit-normalised
embeddings of the description and the examples. Each unit gets scores at three levels: the cosine of
the unit's vector to the prototype (`unit_cos`), of the mean vector of its utterance
(`utterance_cos`) and of the mean vector of its whole thread, i.e. document (`thread_cos`); plus
evidence-concept counts (`unit_concepts`, and `thread_concepts`, the share of the thread's units
that mention one). A unit is on-topic when any score listed in `relevance.thresholds` reaches its
threshold; the reason is the first level that does, in RELEVANCE_LEVELS order. An utterance is
on-topic when any of its units is. Off-topic units take the residual frame, their model frame kept.
Thresholds are tuned by `tune` (grid search, best F1 of `on_topic` on labelled units, ties to the
middle of the tied range); `pipeline/eval_relevance.py` re-tunes them without each held-out source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.config import RELEVANCE_LEVELS, ConfigError, RelevanceConfig
from pipeline.frames.batch import unit_rows

# level -> feature column it thresholds
LEVEL_COLUMNS = {"thread": "thread_cos", "utterance": "utterance_cos", "unit": "unit_cos",
                 "thread_concepts": "thread_concepts", "unit_concepts": "unit_concepts"}
COSINE_LEVELS = ("thread", "utterance", "unit")
OFF_TOPIC = "off-topic"


@dataclass(frozen=True)
class Topic:
    """The codebook's `topic:` block: what the debate is about."""

    label: str
    description: str
    examples: tuple[str, ...]
    evidence_concepts: tuple[str, ...]

    @property
    def prototype_texts(self) -> list[str]:
        """Texts whose mean embedding is the topic prototype: description and examples."""
        return [self.description, *self.examples]


def load_topic(codebook: Mapping[str, Any], source: str = "codebook") -> Topic:
    """The codebook's `topic:` section; evidence concepts must be ids of its `concepts:`."""
    spec = codebook.get("topic")
    if not isinstance(spec, Mapping) or not spec.get("description"):
        raise ConfigError(f"{source}: section 'topic' needs a 'description'")
    evidence = tuple(map(str, spec.get("evidence_concepts") or ()))
    unknown = sorted(set(evidence) - set(codebook.get("concepts") or {}))
    if unknown:
        raise ConfigError(f"{source}: topic.evidence_concepts {unknown} are not ids under 'concepts'")
    return Topic(str(spec.get("label", "topic")), str(spec["description"]),
                 tuple(map(str, spec.get("examples") or ())), evidence)


def topic_prototype(topic: Topic, embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """The unit-length mean of the unit-normalised embeddings of the topic's description and examples."""
    return unit_rows(unit_rows(embed(topic.prototype_texts)).mean(axis=0, keepdims=True))[0]


def group_cosines(x: np.ndarray, keys: Sequence[str], prototype: np.ndarray) -> np.ndarray:
    """Per row: cosine of the mean of the unit-normalised rows sharing its key to `prototype`."""
    x = unit_rows(x)
    if not len(x):
        return np.zeros(0)
    _, inverse = np.unique(np.asarray(keys), return_inverse=True)
    sums = np.zeros((inverse.max() + 1, x.shape[1]))
    np.add.at(sums, inverse, x)
    return (unit_rows(sums) @ unit_rows(prototype[None, :])[0])[inverse]


def relevance_features(units: pd.DataFrame, x: np.ndarray, prototype: np.ndarray, topic: Topic) -> pd.DataFrame:
    """One row per unit (rows aligned with `x`): ids, the three topic cosines and the concept evidence.

    `units` needs doc_id, utterance_id, unit_id and concepts (a list of concept ids per unit).
    """
    units = units.reset_index(drop=True)
    evidence = set(topic.evidence_concepts)
    hits = np.array([sum(c in evidence for c in (cs if cs is not None else ())) for cs in units["concepts"]],
                    dtype=np.int64)
    out = pd.DataFrame({"unit_id": units["unit_id"].to_numpy(), "utterance_id": units["utterance_id"].to_numpy(),
                        "doc_id": units["doc_id"].to_numpy(),
                        "unit_cos": unit_rows(x) @ unit_rows(prototype[None, :])[0] if len(units) else np.zeros(0),
                        "utterance_cos": group_cosines(x, units["utterance_id"].tolist(), prototype),
                        "thread_cos": group_cosines(x, units["doc_id"].tolist(), prototype),
                        "unit_concepts": hits})
    out["thread_concepts"] = (out["unit_concepts"] > 0).groupby(out["doc_id"]).transform("mean").astype(float)
    return out


def passes(features: pd.DataFrame, thresholds: Mapping[str, float]) -> pd.DataFrame:
    """Boolean frame: one column per level in `thresholds` (in RELEVANCE_LEVELS order), True where it is reached."""
    levels = [lvl for lvl in RELEVANCE_LEVELS if lvl in thresholds]
    return pd.DataFrame({lvl: features[LEVEL_COLUMNS[lvl]].to_numpy() >= thresholds[lvl] for lvl in levels},
                        index=features.index)


def decide(features: pd.DataFrame, cfg: RelevanceConfig) -> pd.DataFrame:
    """unit_id, utterance_id, on_topic and the reason: the first level that reaches its threshold, else 'off-topic'.

    `detail` gives each listed score against its threshold ("thread 0.74>=0.51; unit 0.12<0.44").
    """
    hit = passes(features, cfg.thresholds)
    on = hit.any(axis=1).to_numpy()
    reason = np.full(len(features), OFF_TOPIC, dtype=object)
    for lvl in reversed(hit.columns):  # the first level in order wins
        reason[hit[lvl].to_numpy()] = lvl
    cols = {lvl: features[LEVEL_COLUMNS[lvl]].to_numpy() for lvl in hit.columns}
    detail = ["; ".join(f"{lvl} {cols[lvl][i]:.2f}{'>=' if hit[lvl].iat[i] else '<'}{cfg.thresholds[lvl]:.2f}"
                        for lvl in hit.columns) for i in range(len(features))]
    return pd.DataFrame({"unit_id": features["unit_id"].to_numpy(), "utterance_id": features["utterance_id"].to_numpy(),
                         "on_topic": on, "reason": reason, "detail": detail})


def utterance_relevance(decisions: pd.DataFrame) -> pd.DataFrame:
    """Per utterance: on_topic when any unit is; n_units, n_on_topic and the most frequent reason among them."""
    rows = []
    for utt, grp in decisions.groupby("utterance_id", sort=True):
        on = grp[grp["on_topic"]]
        reason = on["reason"].value_counts().sort_index().idxmax() if len(on) else OFF_TOPIC
        rows.append({"utterance_id": utt, "on_topic": bool(len(on)), "n_units": len(grp), "n_on_topic": len(on),
                     "reason": reason})
    return pd.DataFrame(rows, columns=["utterance_id", "on_topic", "n_units", "n_on_topic", "reason"])


def apply_relevance(unit_frames: pd.DataFrame, decisions: pd.DataFrame, residual: str,
                    frame_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Unit frames with off-topic units set to the residual frame.

    Adds on_topic, relevance_reason and model_frame (the frame before the filter). With `frame_ids`
    and a `scores` column (one probability row per unit), an off-topic unit's row becomes one-hot on
    the residual frame and its `score` 1.0, so 'mean' utterance aggregation sees the filter too.
    """
    d = decisions.set_index("unit_id")
    missing = sorted(set(unit_frames["unit_id"]) - set(d.index))
    if missing:
        raise ValueError(f"no relevance decision for {len(missing)} units (e.g. {missing[:3]})")
    out = unit_frames.copy()
    on = d.loc[out["unit_id"], "on_topic"].to_numpy(dtype=bool)
    out["model_frame"] = out["frame"].to_numpy()
    out["on_topic"] = on
    out["relevance_reason"] = d.loc[out["unit_id"], "reason"].to_numpy()
    out.loc[~on, "frame"] = residual
    if frame_ids is not None and "scores" in out:
        onehot = np.eye(len(frame_ids))[list(frame_ids).index(residual)]
        out["scores"] = [s if keep else onehot for s, keep in zip(out["scores"], on, strict=True)]
        if "score" in out:
            out.loc[~on, "score"] = 1.0
    return out


# --- tuning and scoring (used by pipeline/eval_relevance.py) ---

def counts(y: np.ndarray, pred: np.ndarray) -> dict[str, int]:
    """tp, fp, fn, tn of boolean predictions against boolean labels (positive = on-topic)."""
    y, pred = np.asarray(y, dtype=bool), np.asarray(pred, dtype=bool)
    return {"tp": int((y & pred).sum()), "fp": int((~y & pred).sum()), "fn": int((y & ~pred).sum()),
            "tn": int((~y & ~pred).sum())}


def prf(y: np.ndarray, pred: np.ndarray) -> dict[str, float | int]:
    """Precision, recall and F1 of the positive class (0 where undefined), with the counts."""
    c = counts(y, pred)
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), **c}


def grid_values(low: float, high: float, step: float) -> np.ndarray:
    """low, low + step, ... up to high (inclusive, rounded to 6 places)."""
    n = int(np.floor((high - low) / step + 1e-9)) + 1
    return np.round(low + step * np.arange(max(n, 1)), 6)


def level_grid(level: str, cfg: RelevanceConfig) -> np.ndarray:
    """The thresholds tried for a level: the cosine or share grid; unit_concepts stays at its configured value."""
    if level in COSINE_LEVELS:
        return grid_values(*cfg.cosine_grid)
    if level == "thread_concepts":
        return grid_values(*cfg.share_grid)
    return np.array([cfg.thresholds[level]], dtype=np.float64)


def _f1_scores(tp: np.ndarray, fp: np.ndarray, n_pos: int) -> np.ndarray:
    """F1 = 2tp / (2tp + fp + fn) for arrays of counts (0 where undefined)."""
    denom = 2 * tp + fp + (n_pos - tp)
    return np.divide(2.0 * tp, denom, out=np.zeros(np.shape(tp), dtype=np.float64), where=denom > 0)


def tune(features: pd.DataFrame, y: np.ndarray, cfg: RelevanceConfig) -> tuple[dict[str, float], float]:
    """Thresholds for the levels in cfg.thresholds that maximise F1 of on-topic on labelled `features` rows.

    Every combination of the levels' grids is tried (the level with the longest grid by counting, the
    others by loop).
    Ties (F1 equal to 12 places) go to the tied combination nearest (L1) the per-level median of the
    tied values, the first in grid order among equals: the middle of a plateau, not its edge.
    Returns the thresholds and their F1.
    """
    y = np.asarray(y, dtype=bool)
    levels = [lvl for lvl in RELEVANCE_LEVELS if lvl in cfg.thresholds]
    levels.sort(key=lambda lvl: len(level_grid(lvl, cfg)))  # stable: the longest grid is counted, not looped
    grids = [level_grid(lvl, cfg) for lvl in levels]
    values = [features[LEVEL_COLUMNS[lvl]].to_numpy(dtype=np.float64) for lvl in levels]
    last, last_grid = values[-1], grids[-1]
    last_hits = last[None, :] >= last_grid[:, None]  # (grid, n)
    n_pos = int(y.sum())
    combos, scores = [], []
    for idx in np.ndindex(*[len(g) for g in grids[:-1]]):
        base = np.zeros(len(y), dtype=bool)
        for k, i in enumerate(idx):
            base |= values[k] >= grids[k][i]
        on = base[None, :] | last_hits
        tp, fp = (on & y).sum(axis=1), (on & ~y).sum(axis=1)
        scores.append(_f1_scores(tp, fp, n_pos))
        combos.extend((*idx, j) for j in range(len(last_grid)))
    f1 = np.round(np.concatenate(scores), 12)
    best = f1.max()
    tied = np.array([c for c, s in zip(combos, f1, strict=True) if s == best])
    tied_values = np.stack([grids[k][tied[:, k]] for k in range(len(levels))], axis=1)
    centre = np.median(tied_values, axis=0)
    pick = int(np.argmin(np.round(np.abs(tied_values - centre).sum(axis=1), 9)))
    chosen = {lvl: float(tied_values[pick, k]) for k, lvl in enumerate(levels)}
    return {lvl: chosen[lvl] for lvl in RELEVANCE_LEVELS if lvl in chosen}, float(best)


def held_out(features: pd.DataFrame, y: pd.Series, groups: np.ndarray, cfg: RelevanceConfig
             ) -> tuple[np.ndarray, dict[str, dict[str, float]]]:
    """Leave-one-group-out decisions for every row: thresholds tuned on the labelled rows of the other groups.

    `y` holds True/False for labelled rows and NaN elsewhere (a group without labelled rows is held out
    too); returns on_topic per row and the thresholds used for each group.
    """
    groups = np.asarray(groups)
    labelled = y.notna().to_numpy()
    on = np.zeros(len(features), dtype=bool)
    chosen: dict[str, dict[str, float]] = {}
    for g in sorted(set(groups)):
        train = labelled & (groups != g)
        th, _ = tune(features[train], y[train].astype(bool).to_numpy(), cfg)
        chosen[str(g)] = th
        held = groups == g
        on[held] = passes(features[held], th).any(axis=1).to_numpy()
    return on, chosen
