"""Held-out precision/recall of the relevance filter (`python -m pipeline evaluate relevance`), and what it does to frames.

Sources are the groups held out: every corpus is one group, except the corpora named in
`--document-groups` (the debate corpus, e.g. seeds), whose documents are one group each, so the
held-out debate thread is never the only on-topic material left. For each group the thresholds of
the levels in `relevance.thresholds` are re-tuned (`relevance.tune`) on the labelled units of the
other groups and applied to all units of the held-out group. The fit numbers (thresholds tuned on all
labelled units) are printed beside them. With `--frames`, the frame stage's route is run as the
stage runs it: the final model (fitted on all coded units) frames every unit, giving the share of
units and utterances per corpus that keep a substantive frame before and after the filter; and the
stage's out-of-fold validation on the coded units is scored before and after the held-out filter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.codebook import residual_frame
from pipeline.common.codes import text_key
from pipeline.common.config import RelevanceConfig
from pipeline.frames.inputs import FrameInputs
from pipeline.frames.relevance import (
    apply_relevance,
    held_out,
    passes,
    prf,
    relevance_features,
    topic_prototype,
    tune,
)
from pipeline.frames.validation import agreement_with_codes, gold_codes, out_of_fold, predict_units

LABELS = ("on_topic", "off_topic")


def groups_of(units: pd.DataFrame, document_corpora: set[str]) -> np.ndarray:
    """The held-out group of each unit: its corpus, or its document for the corpora in `document_corpora`."""
    return np.where(units["corpus"].isin(document_corpora), units["doc_id"], units["corpus"]).astype(str)


def pseudo_threads(units: pd.DataFrame, size: int) -> pd.DataFrame:
    """`units` with each document cut into pseudo-threads of `size` utterances (in utterance-id order).

    A stress test of the thread level: how the decisions change when threads are short.
    """
    order = units[["doc_id", "utterance_id"]].drop_duplicates().sort_values(["doc_id", "utterance_id"])
    rank = order.groupby("doc_id").cumcount() // size
    chunk = dict(zip(order["utterance_id"], order["doc_id"] + "#" + rank.astype(str), strict=True))
    return units.assign(doc_id=units["utterance_id"].map(chunk))


def label_key(text: str) -> str:
    """SHA-256 of a text's matching key (letters and digits, lower case): labels of material that may not be
    copied into the repository are stored by this key instead of their text."""
    return hashlib.sha256(text_key(text).encode("utf-8")).hexdigest()


def align_labels(labels: pd.DataFrame, units: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Labels re-keyed onto `units`: by unit id when its text key still matches, else by text key (every unit
    with that key). A label gives `text` (the project's own data) or `text_key_sha256` (real data not copied
    into the repository). Returns unit_id, text, label (kind, borderline carried over) and how many match no unit."""
    keys = labels["text_key_sha256"] if "text_key_sha256" in labels else pd.Series("", index=labels.index)
    texts = labels["text"] if "text" in labels else pd.Series("", index=labels.index)
    want = [k if k else label_key(t) for k, t in zip(keys, texts, strict=True)]
    unit_key = pd.Series([label_key(t) for t in units["text"]], index=units["unit_id"].to_numpy())
    by_key: dict[str, list[str]] = {}
    for uid, k in unit_key.items():
        by_key.setdefault(k, []).append(uid)
    rows, lost = [], 0
    for r, k in zip(labels.to_dict("records"), want, strict=True):
        uid = r["unit_id"]
        matched = [uid] if uid in unit_key.index and unit_key[uid] == k else by_key.get(k, [])
        lost += not matched
        rows += [{**r, "unit_id": u} for u in matched]
    cols = ["unit_id", "label", *[c for c in ("kind", "borderline") if c in labels]]
    out = pd.DataFrame(rows, columns=list(labels.columns)) if rows else pd.DataFrame(columns=list(labels.columns))
    out = out.drop_duplicates("unit_id")[cols].reset_index(drop=True)
    text = dict(zip(units["unit_id"], units["text"], strict=True))
    return out.assign(text=out["unit_id"].map(text)), lost


def join_labels(features: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """`features` rows with y (True on-topic, False off-topic, NaN unlabelled), kind and borderline from `labels`."""
    bad = sorted(set(labels["label"]) - set(LABELS))
    if bad:
        raise ValueError(f"relevance labels must be {LABELS}, got {bad}")
    lab = labels.drop_duplicates("unit_id").set_index("unit_id")
    out = features.copy()
    out["y"] = out["unit_id"].map(lab["label"].eq("on_topic")).astype(object)
    for col in ("kind", "borderline"):
        out[col] = out["unit_id"].map(lab[col]) if col in lab else np.nan
    return out


def _rate(mask: np.ndarray, on: np.ndarray) -> float | None:
    """Share of `on` among the rows in `mask` (None when empty)."""
    return round(float(on[mask].mean()), 4) if mask.any() else None


def relevance_report(table: pd.DataFrame, corpus: np.ndarray, groups: np.ndarray, cfg: RelevanceConfig
                     ) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Held-out and fit scores on the labelled rows of `table` (join_labels output), per corpus and kind.

    Returns the report and the held-out and fit on-topic decisions of every row.
    """
    lab = table["y"].notna().to_numpy()
    y = table["y"][lab].astype(bool).to_numpy()
    fit_th, fit_f1 = tune(table[lab], y, cfg)
    on_fit = passes(table, fit_th).any(axis=1).to_numpy()
    on_held, chosen = held_out(table, table["y"], groups, cfg)
    clear = lab & table["borderline"].ne("yes").to_numpy()
    yc = table["y"][clear].astype(bool).to_numpy()
    per_corpus = {}
    for c in sorted(set(corpus[lab])):
        m = lab & (corpus == c)
        pos, neg = m & table["y"].eq(True).to_numpy(), m & table["y"].eq(False).to_numpy()
        per_corpus[c] = {"n": int(m.sum()), "on_topic": int(pos.sum()),
                         "recall_held_out": _rate(pos, on_held), "recall_fit": _rate(pos, on_fit),
                         "false_positive_rate_held_out": _rate(neg, on_held), "false_positive_rate_fit": _rate(neg, on_fit)}
    kinds = {}
    for (c, k), _ in table[lab].groupby([corpus[lab], table["kind"][lab].fillna("")]):
        m = lab & (corpus == c) & table["kind"].fillna("").eq(k).to_numpy()
        kinds[f"{c}/{k}"] = {"n": int(m.sum()), "on_topic_held_out": _rate(m, on_held), "on_topic_fit": _rate(m, on_fit)}
    report = {
        "levels": list(fit_th),
        "held_out": prf(y, on_held[lab]),
        "fit": prf(y, on_fit[lab]),
        "held_out_clear_only": prf(yc, on_held[clear]),
        "fit_clear_only": prf(yc, on_fit[clear]),
        "fit_thresholds": fit_th,
        "fit_training_f1": round(fit_f1, 4),
        "held_out_thresholds": chosen,
        "per_corpus": per_corpus,
        "per_kind": kinds,
    }
    return report, on_held, on_fit


def short_thread_report(table: pd.DataFrame, corpus: np.ndarray, groups: np.ndarray,
                        thresholds: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Held-out decisions (each group's `thresholds`) on features computed over pseudo-threads: per corpus,
    recall of its on-topic labelled units and the false-positive rate of its off-topic ones."""
    on = np.zeros(len(table), dtype=bool)
    for g, th in thresholds.items():
        held = groups == g
        on[held] = passes(table[held], th).any(axis=1).to_numpy()
    lab = table["y"].notna().to_numpy()
    out: dict[str, Any] = {"all": prf(table["y"][lab].astype(bool).to_numpy(), on[lab])}
    for c in sorted(set(corpus[lab])):
        m = lab & (corpus == c)
        pos, neg = m & table["y"].eq(True).to_numpy(), m & table["y"].eq(False).to_numpy()
        top = pos & table["kind"].eq("topical").to_numpy()
        out[c] = {"recall": _rate(pos, on), "recall_topical": _rate(top, on), "false_positive_rate": _rate(neg, on)}
    return out


def substantive_shares(unit_frames: pd.DataFrame, corpus: np.ndarray, decisions: dict[str, np.ndarray],
                       residual: str) -> dict[str, Any]:
    """Per corpus, the share of units and of utterances with a substantive frame, before and after each filter.

    `unit_frames` rows are aligned with `corpus` and the boolean arrays in `decisions`. An utterance is
    substantive when any of its units is (the stage's vote with utterance_ignore_residual).
    """
    out: dict[str, Any] = {}
    base = unit_frames["frame"].ne(residual).to_numpy()
    variants = {"before": base, **{name: base & on for name, on in decisions.items()}}
    for c in sorted(set(corpus)):
        m = corpus == c
        utt = unit_frames["utterance_id"].to_numpy()[m]
        out[c] = {"units": int(m.sum()), "utterances": len(set(utt)),
                  **{f"unit_{k}": round(float(v[m].mean()), 4) for k, v in variants.items()},
                  **{f"utterance_{k}": round(float(pd.Series(v[m]).groupby(utt).any().mean()), 4)
                     for k, v in variants.items()}}
    return out


def frame_impact(pred: pd.DataFrame, decisions: pd.DataFrame, gold: pd.DataFrame, gold_utts: pd.DataFrame,
                 frame_ids: list[str], residual: str, cfg: Any, n_boot: int) -> dict[str, Any]:
    """The frame validation (out-of-fold `pred`) before and after off-topic units are set to the residual frame."""
    after = apply_relevance(pred, decisions, residual, frame_ids)
    before_res = agreement_with_codes(pred, gold, gold_utts, frame_ids, residual, cfg, n_boot)
    after_res = agreement_with_codes(after, gold, gold_utts, frame_ids, residual, cfg, n_boot)
    coded = pred["unit_id"].isin(gold["unit_id"]).to_numpy()
    return {
        "coded_units_marked_off_topic": int((~after["on_topic"].to_numpy(dtype=bool) & coded).sum()),
        "coded_units_changed": int((after["frame"].to_numpy() != pred["frame"].to_numpy())[coded].sum()),
        **{f"{when}_{lvl}": {"macro_f1": r[lvl]["macro_f1"], "ci95": r[lvl].get("ci95", {}).get("macro_f1"),
                             "n": r[lvl]["n"]}
           for when, r in (("before", before_res), ("after", after_res)) for lvl in ("unit", "utterance")},
    }


def table(report: dict[str, Any]) -> str:
    """Markdown: held-out and fit P/R/F1, then per corpus recall and false-positive rate."""
    lines = ["| on-topic | precision | recall | F1 | tp | fp | fn | tn |", "|---|---|---|---|---|---|---|---|"]
    for name in ("held_out", "fit", "held_out_clear_only", "fit_clear_only"):
        r = report[name]
        lines.append(f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['tp']} | {r['fp']} | "
                     f"{r['fn']} | {r['tn']} |")
    lines += ["", "| corpus | labelled | on-topic | recall held-out (fit) | false-positive rate held-out (fit) |",
              "|---|---|---|---|---|"]
    for c, r in report["per_corpus"].items():
        lines.append(f"| {c} | {r['n']} | {r['on_topic']} | {r['recall_held_out']} ({r['recall_fit']}) | "
                     f"{r['false_positive_rate_held_out']} ({r['false_positive_rate_fit']}) |")
    return "\n".join(lines)


def evaluate_relevance(inp: FrameInputs, labels: pd.DataFrame, topic: Any, embed: Callable[[list[str]], np.ndarray],
                       document_groups: set[str], short_threads: list[int], frames: bool) -> dict[str, Any]:
    """The filter held out by source (and fit), on pseudo-short threads, and (with `frames`) its effect on frames."""
    cfg = inp.params.relevance
    proto = topic_prototype(topic, embed)
    units = inp.units
    feats = relevance_features(units, inp.batch.unit, proto, topic)
    labels, unaligned = align_labels(labels, units)
    corpus = units["corpus"].to_numpy().astype(str)
    groups = groups_of(units, document_groups)
    report, on_held, on_fit = relevance_report(join_labels(feats, labels), corpus, groups, cfg)
    out: dict[str, Any] = {"relevance": report, "labels_unaligned": unaligned}
    for size in short_threads:
        short = relevance_features(pseudo_threads(units, size), inp.batch.unit, proto, topic)
        out[f"short_threads_{size}"] = short_thread_report(join_labels(short, labels), corpus, groups,
                                                           report["held_out_thresholds"])
    if frames:
        out.update(frames_part(inp, feats, corpus, on_held, on_fit))
    return out


def frames_part(inp: FrameInputs, feats: pd.DataFrame, corpus: np.ndarray, on_held: np.ndarray, on_fit: np.ndarray
                 ) -> dict[str, Any]:
    """Substantive-frame shares per corpus (final model) and the frame validation before/after the filter."""
    cfg = inp.params.frame
    frame_ids, residual = [f.id for f in inp.frames], residual_frame(inp.frames)
    gold, gold_utts, *_ = gold_codes(inp.units, inp.frames, inp.codes)
    final, _, options = predict_units(inp.units, inp.batch, cfg.method, inp.frames, inp.prototypes, gold, cfg, gold_utts)
    shares = substantive_shares(final, corpus, {"held_out": on_held, "fit": on_fit}, residual)
    pred = out_of_fold(inp.units, inp.batch, inp.frames, gold, cfg, inp.prototypes, gold_utts)
    decisions = pd.DataFrame({"unit_id": feats["unit_id"], "utterance_id": feats["utterance_id"],
                              "on_topic": on_held, "reason": np.where(on_held, "held-out", "off-topic")})
    impact = frame_impact(pred, decisions, gold, gold_utts, frame_ids, residual, cfg, cfg.bootstrap)
    return {"substantive_shares": shares, "frame_validation": impact, "final_frame_options": options}
