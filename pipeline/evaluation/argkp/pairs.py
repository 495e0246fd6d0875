"""ArgKP training pairs (argument -> matching key point) and their batches without repeated key points."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.common.config import ArgkpFinetuneConfig
from pipeline.evaluation.argkp.scoring import GROUP, KpaSplit

Example = tuple[str, ...]  # ids: (argument, key point[, negative key point]) or (argument, key point, "0"/"1")


def training_examples(split: KpaSplit, cfg: ArgkpFinetuneConfig) -> list[Example]:
    """Id tuples in label-file order: positives (mnrl), + one seeded non-match (mnrl_hard), or all pairs (cosent)."""
    arg, kp = set(split.arguments["arg_id"]), set(split.key_points["key_point_id"])
    lab = split.labels[split.labels["arg_id"].isin(arg) & split.labels["key_point_id"].isin(kp)]
    if cfg.loss == "cosent":
        return [(a, k, str(int(y))) for a, k, y in lab[["arg_id", "key_point_id", "label"]].itertuples(index=False)]
    pos = lab[lab["label"] == 1]
    if cfg.loss == "mnrl":
        return [(a, k) for a, k in pos[["arg_id", "key_point_id"]].itertuples(index=False)]
    rng = np.random.default_rng(cfg.seed)
    neg = lab[lab["label"] == 0].groupby("arg_id")["key_point_id"].agg(list).to_dict()
    group_of = {k: (t, s) for k, t, s in split.key_points[["key_point_id", *GROUP]].itertuples(index=False)}
    kps_of = split.key_points.groupby(GROUP)["key_point_id"].agg(list).to_dict()
    matches = pos.groupby("arg_id")["key_point_id"].agg(set).to_dict()
    out: list[Example] = []
    for a, k in pos[["arg_id", "key_point_id"]].itertuples(index=False):
        # a labelled non-match of the same argument, else a key point of its group it does not match
        cands = neg.get(a) or [c for c in kps_of[group_of[k]] if c not in matches[a]]
        out.append((a, k, cands[int(rng.integers(len(cands)))]) if cands else (a, k))
    return out


def batches(examples: Sequence[Example], batch_size: int, seed: int, distinct_from: int = 1) -> list[list[int]]:
    """Seeded shuffled batches in which no id from column `distinct_from` on repeats (no false in-batch
    negatives); an example that would repeat one waits for a later batch; every example is used once."""
    order = [int(i) for i in np.random.default_rng(seed).permutation(len(examples))]
    if all(len(e) <= distinct_from for e in examples):  # nothing to keep apart
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    out: list[list[int]] = []
    while order:
        batch: list[int] = []
        seen: set[str] = set()
        rest: list[int] = []
        for i in order:
            ids = set(examples[i][distinct_from:])
            if len(batch) < batch_size and not ids & seen:
                batch.append(i)
                seen |= ids
            else:
                rest.append(i)
        out.append(batch)
        order = rest
    return out
