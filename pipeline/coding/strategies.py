"""Which uncoded units to hand-code next: uncertainty (with diversity), stratified or random, cold start first.

Every strategy first offers units for the labels (frames, or roles) that have no coded unit yet: the
units nearest to each such label's prototype (the mean embedding of its codebook definition and
examples), label by label in codebook order. The rest of the batch comes from the strategy:

- `uncertainty`: the units the current model is least sure of (`margin`: 1 - (p1 - p2); `entropy`:
  normalised entropy of the row), spread out by `diversity`: `round_robin` takes the next most
  uncertain unit of each document in turn (documents ordered by their most uncertain unit),
  `kcenter` runs greedy k-center (cosine distance to the coded units and the picks so far) among the
  `kcenter_pool` x n most uncertain units, `none` takes them in order. At most `max_per_utterance`
  picks per utterance (0 = no cap); the cap is relaxed only when the pool cannot fill the batch.
- `stratified`: coding.sheets.stratified_sample (document x first concept, seeded).
- `random`: a seeded permutation of the pool in unit_id order.

All ties go to the smaller unit_id; the same inputs and seed give the same picks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from pipeline.coding.sheets import stratified_sample

STRATEGIES = ("uncertainty", "stratified", "random")
MEASURES = ("margin", "entropy")
DIVERSITY = ("round_robin", "kcenter", "none")
_DECIMALS = 12


@dataclass(frozen=True)
class StrategyOptions:
    """How `choose_units` ranks and spreads its picks (params.yaml `coding`)."""

    measure: Literal["margin", "entropy"] = "margin"
    diversity: Literal["round_robin", "kcenter", "none"] = "round_robin"
    max_per_utterance: int = 2
    kcenter_pool: int = 3
    cold_start_per_label: int = 2


def uncertainty(scores: np.ndarray, measure: str) -> np.ndarray:
    """Per row, higher = less sure: 1 - (best - second best) score, or entropy / log(k) of the clipped, normalised row."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] < 2:
        raise ValueError(f"uncertainty needs an (n, k>=2) score matrix, got shape {s.shape}")
    if measure == "margin":
        top = -np.sort(-s, axis=1)
        return 1.0 - (top[:, 0] - top[:, 1])
    if measure == "entropy":
        p = np.clip(s, 0.0, None)
        tot = p.sum(axis=1, keepdims=True)
        p = np.divide(p, tot, out=np.full_like(p, 1.0 / s.shape[1]), where=tot > 0)
        logp = np.log(p, out=np.zeros_like(p), where=p > 0)
        return -(p * logp).sum(axis=1) / np.log(s.shape[1])
    raise ValueError(f"uncertainty measure {measure!r}: choose one of {list(MEASURES)}")


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


class _Picker:
    """The picks of one batch: order, reasons and per-utterance counts."""

    def __init__(self, utterances: np.ndarray, cap: int) -> None:
        self.utterances, self.cap = utterances, cap
        self.rows: list[int] = []
        self.chosen: set[int] = set()
        self.reasons: list[str] = []
        self.per_utt: dict[str, int] = {}

    def taken(self, i: int) -> bool:
        """Already picked."""
        return i in self.chosen

    def allowed(self, i: int, capped: bool = True) -> bool:
        """Not yet picked and (when capped) its utterance under the cap."""
        return not self.taken(i) and (not capped or not self.cap or self.per_utt.get(self.utterances[i], 0) < self.cap)

    def add(self, i: int, reason: str) -> None:
        """Pick row i for `reason`."""
        self.rows.append(i)
        self.chosen.add(i)
        self.reasons.append(reason)
        self.per_utt[self.utterances[i]] = self.per_utt.get(self.utterances[i], 0) + 1


def _cold_start(picker: _Picker, n: int, missing: Sequence[int], label_ids: Sequence[str], sims: np.ndarray,
                ids: np.ndarray, per_label: int) -> None:
    """Round by round, each missing label in codebook order takes its most similar free unit (cap respected)."""
    orders = {j: np.lexsort((ids, -np.round(sims[:, j], _DECIMALS))) for j in missing}
    for _ in range(per_label):
        for j in missing:
            if len(picker.rows) >= n:
                return
            i = next((int(i) for i in orders[j] if picker.allowed(int(i))), None)
            if i is not None:
                picker.add(i, f"cold-start:{label_ids[j]}")


def _fill_in_order(picker: _Picker, n: int, order: Sequence[int], reason: str) -> None:
    """Take rows of `order` under the cap, then (if still short) regardless of it."""
    for capped in (True, False):
        for i in order:
            if len(picker.rows) >= n:
                return
            if picker.allowed(int(i), capped):
                picker.add(int(i), reason)


def _round_robin(picker: _Picker, n: int, order: np.ndarray, docs: np.ndarray) -> None:
    """Next most uncertain allowed unit of each document in turn; documents by their most uncertain unit."""
    queues: dict[str, list[int]] = {}
    for i in order:
        queues.setdefault(str(docs[i]), []).append(int(i))
    progress = True
    while len(picker.rows) < n and progress:
        progress = False
        for q in queues.values():
            i = next((i for i in q if picker.allowed(i)), None)
            if i is not None and len(picker.rows) < n:
                picker.add(i, "uncertainty")
                progress = True
    _fill_in_order(picker, n, order, "uncertainty")


def _kcenter(picker: _Picker, n: int, order: np.ndarray, u: np.ndarray, vectors: np.ndarray,
             coded_vectors: np.ndarray | None, pool_size: int, ids: np.ndarray) -> None:
    """Greedy k-center among the `pool_size` most uncertain: farthest (cosine) from coded units and picks so far."""
    top = [int(i) for i in order[:pool_size] if not picker.taken(int(i))]
    v = _unit_rows(vectors)
    centres = [_unit_rows(coded_vectors)] if coded_vectors is not None and len(coded_vectors) else []
    centres += [v[picker.rows]] if picker.rows else []
    dist = (1.0 - np.max(np.vstack(centres) @ v[top].T, axis=0)) if centres else np.full(len(top), np.inf)
    rank = {i: r for r, i in enumerate(top)}
    while len(picker.rows) < n:
        free = [i for i in top if picker.allowed(i)]
        if not free:
            break
        best = min(free, key=lambda i: (-np.round(dist[rank[i]], _DECIMALS), -np.round(u[i], _DECIMALS), ids[i]))
        picker.add(best, "uncertainty")
        dist = np.minimum(dist, 1.0 - v[top] @ v[best])
    _fill_in_order(picker, n, order, "uncertainty")


def _check(pool: pd.DataFrame, n: int, strategy: str, options: StrategyOptions, arrays: dict[str, np.ndarray | None]) -> None:
    """Raise ValueError for an unknown strategy/option, a bad n, duplicate ids or misaligned arrays."""
    if strategy not in STRATEGIES:
        raise ValueError(f"coding strategy {strategy!r}: choose one of {list(STRATEGIES)}")
    if options.diversity not in DIVERSITY or options.measure not in MEASURES:
        raise ValueError(f"coding options: diversity among {list(DIVERSITY)}, measure among {list(MEASURES)}")
    if n < 0 or options.max_per_utterance < 0 or options.kcenter_pool < 1 or options.cold_start_per_label < 0:
        raise ValueError("coding: n, max_per_utterance and cold_start_per_label must be >= 0, kcenter_pool >= 1")
    missing = sorted({"unit_id", "doc_id", "utterance_id"} - set(pool.columns))
    if missing:
        raise ValueError(f"coding pool lacks columns {missing}")
    if pool["unit_id"].duplicated().any():
        raise ValueError(f"coding pool has duplicate unit_ids, e.g. {pool['unit_id'][pool['unit_id'].duplicated()].iloc[0]!r}")
    for name, a in arrays.items():
        if a is not None and len(a) != len(pool):
            raise ValueError(f"coding: {name} has {len(a)} rows for {len(pool)} pool units")


def choose_units(pool: pd.DataFrame, n: int, strategy: str, seed: int, options: StrategyOptions = StrategyOptions(),
                 *, scores: np.ndarray | None = None, vectors: np.ndarray | None = None,
                 label_ids: Sequence[str] = (), coded_labels: Sequence[str] = (), prototypes: np.ndarray | None = None,
                 coded_vectors: np.ndarray | None = None) -> pd.DataFrame:
    """The n pool units to code next, in pick order, with `pick` (0-based), `reason` and `uncertainty` columns.

    `pool`: uncoded units (unit_id, doc_id, utterance_id; `concepts` for stratified). `scores` (model
    probabilities, needed by uncertainty) and `vectors` (unit embeddings, needed by kcenter and cold
    start) are aligned with the pool rows. Labels of `label_ids` absent from `coded_labels` get
    cold-start picks by cosine to their row of `prototypes`; `coded_vectors` seed k-center.
    """
    _check(pool, n, strategy, options, {"scores": scores, "vectors": vectors})
    order_rows = np.lexsort((pool["unit_id"].astype(str).to_numpy(),))
    pool = pool.iloc[order_rows].reset_index(drop=True)
    scores = np.asarray(scores, dtype=np.float64)[order_rows] if scores is not None else None
    vectors = np.asarray(vectors, dtype=np.float64)[order_rows] if vectors is not None else None
    ids = pool["unit_id"].astype(str).to_numpy()
    n = min(n, len(pool))
    picker = _Picker(pool["utterance_id"].astype(str).to_numpy(), options.max_per_utterance)
    missing = [j for j, lab in enumerate(label_ids) if lab not in set(coded_labels)]
    if missing and options.cold_start_per_label and n:
        if vectors is None or prototypes is None or len(prototypes) != len(label_ids):
            raise ValueError(f"coding: labels {[label_ids[j] for j in missing]} have no coded unit; cold start needs "
                             "unit vectors and one prototype per label")
        _cold_start(picker, n, missing, label_ids, _unit_rows(vectors) @ _unit_rows(prototypes).T, ids,
                    options.cold_start_per_label)
    u = np.full(len(pool), np.nan)
    rest = n - len(picker.rows)
    if strategy == "uncertainty":
        if scores is None:
            raise ValueError("coding strategy 'uncertainty' needs model scores for the pool")
        u = uncertainty(scores, options.measure)
        order = np.lexsort((ids, -np.round(u, _DECIMALS)))
        if options.diversity == "round_robin":
            _round_robin(picker, n, order, pool["doc_id"].astype(str).to_numpy())
        elif options.diversity == "kcenter":
            if vectors is None:
                raise ValueError("coding diversity 'kcenter' needs unit vectors for the pool")
            _kcenter(picker, n, order, u, vectors, coded_vectors, options.kcenter_pool * n, ids)
        else:
            _fill_in_order(picker, n, order, "uncertainty")
    elif strategy == "random" and rest > 0:
        perm = np.random.default_rng(seed).permutation(len(pool))
        for i in [int(i) for i in perm if not picker.taken(int(i))][:rest]:
            picker.add(i, "random")
    elif strategy == "stratified" and rest > 0:
        if "concepts" not in pool.columns:
            raise ValueError("coding strategy 'stratified' needs a `concepts` column in the pool")
        free = pool.drop(index=picker.rows)
        row_of = {uid: i for i, uid in enumerate(ids)}
        for uid in stratified_sample(free, rest, seed)["unit_id"]:
            picker.add(row_of[uid], "stratified")
    out = pool.iloc[picker.rows].reset_index(drop=True)
    return out.assign(pick=np.arange(len(out)), reason=picker.reasons, uncertainty=u[picker.rows])
