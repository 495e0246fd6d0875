"""Validation across documents and per corpus: how the frames hold on a document the model never saw.

Within-document out-of-fold scores (folds grouped by utterance) let a model learn a thread's vocabulary from
its other comments; a new corpus brings new threads. Here the outer folds are grouped by document (leave one
document out when there are no more documents than `frame.cv_folds`), options are still chosen by inner folds,
and the pooled held-out predictions are scored overall and per corpus. A corpus without coded units is not
validated, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.agreement import report
from pipeline.common.codebook import Frame
from pipeline.common.config import FrameConfig
from pipeline.frames.batch import UnitBatch
from pipeline.frames.validation import agreement_with_codes, out_of_fold


def across_documents(units: pd.DataFrame, batch: UnitBatch, frames: Sequence[Frame], gold: pd.DataFrame,
                     gold_utts: pd.DataFrame, prototypes: np.ndarray | None, cfg: FrameConfig
                     ) -> tuple[dict[str, Any] | None, pd.DataFrame | None]:
    """Agreement of predictions held out by document (None when the codes cover fewer than two documents)."""
    units = units.reset_index(drop=True)
    coded_docs = units.loc[units["unit_id"].isin(gold["unit_id"]), "doc_id"].nunique()
    if coded_docs < 2 or cfg.method == "zeroshot":
        return None, None
    pred = out_of_fold(units, batch, frames, gold, cfg, prototypes, gold_utts, units["doc_id"].to_numpy())
    res = agreement_with_codes(pred, gold, gold_utts, [f.id for f in frames],
                               next(f.id for f in frames if f.residual), cfg, cfg.bootstrap)
    res["grouped_by"] = "document"
    res["n_documents"] = int(coded_docs)
    res["chosen_per_outer_fold"] = pred.attrs.get("chosen")
    return res, pred


def per_corpus(units: pd.DataFrame, gold: pd.DataFrame, across: dict[str, Any] | None, frame_ids: list[str],
               n_boot: int, seed: int) -> dict[str, dict[str, Any]]:
    """Per corpus: coded units and documents, whether it is validated, and its across-document agreement."""
    corpus_of = dict(zip(units["unit_id"], units["corpus"], strict=True))
    doc_of = dict(zip(units["unit_id"], units["doc_id"], strict=True))
    pairs = across["_pairs"]["unit"] if across else pd.DataFrame(columns=["unit_id", "frame_gold", "frame_pred"])
    out: dict[str, dict[str, Any]] = {}
    for corpus in sorted(set(units["corpus"])):
        coded = gold[gold["unit_id"].map(corpus_of) == corpus]
        docs = {doc_of[u] for u in coded["unit_id"]}
        entry: dict[str, Any] = {"coded_units": len(coded), "coded_documents": len(docs),
                                 "units": int((units["corpus"] == corpus).sum()), "validated": bool(len(coded))}
        mine = pairs[pairs["unit_id"].map(corpus_of) == corpus]
        if len(mine):
            rep = report(mine["frame_gold"].tolist(), mine["frame_pred"].tolist(), frame_ids, n_boot, seed)
            entry["unit_across_documents"] = {k: rep[k] for k in ("macro_f1", "kappa", "n", "ci95") if k in rep}
        out[str(corpus)] = entry
    return out
