"""Concept roles scored and validated: zero-shot and supervised roles of every (unit, concept) mention, checked
against the hand-coded roles; reply stances checked against hand-coded stances."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.codebook import UNCLEAR
from pipeline.common.config import ConfigError, PositionsConfig
from pipeline.common.eval_items import role_items
from pipeline.positions.replies import STANCES
from pipeline.positions.role_model import cv_predict, cv_threshold, fit_predict, role_report
from pipeline.positions.roles import Role, assign, cue_matrix, prototypes, zero_shot_scores

Embed = Callable[[list[str]], np.ndarray]


ANNOTATION_COLUMNS = ("unit_id", "text", "concept", "role")


def align_annotations(ann: pd.DataFrame, uc: pd.DataFrame, role_ids: Sequence[str], source: str
                      ) -> tuple[dict[tuple[str, str], str], list[dict[str, Any]]]:
    """(unit_id, concept) -> coded role; a coded unit whose id moved is found again by its exact text."""
    missing = [c for c in ANNOTATION_COLUMNS if c not in ann.columns]
    if missing:
        raise ConfigError(f"{source}: missing columns {missing}")
    by_text = {t.strip(): u for u, t in zip(uc["unit_id"], uc["text"], strict=True)}
    pairs = set(zip(uc["unit_id"], uc["concept"], strict=True))
    gold: dict[tuple[str, str], str] = {}
    problems = []
    for line, a in enumerate(ann.itertuples(index=False), start=2):
        def problem(reason: str, detail: str, line: int = line) -> None:
            problems.append({"corpus": "", "source": source, "location": f"line {line}", "stage": "positions",
                             "reason": reason, "detail": f"{source} line {line}: {detail}"})
        uid = a.unit_id
        if (uid, a.concept) not in pairs and str(a.text).strip() in by_text:
            uid = by_text[str(a.text).strip()]
            problem("annotation-realigned", f"unit {a.unit_id} found by its text as {uid}")
        if a.role not in role_ids:
            problem("annotation-bad-role", f"role {a.role!r} is not a codebook role")
        elif (uid, a.concept) not in pairs:
            problem("annotation-unmatched", f"unit {a.unit_id} / concept {a.concept} not among the units' concept mentions")
        else:
            gold[(uid, a.concept)] = str(a.role)
    return gold, problems


def score_roles(uc: pd.DataFrame, ctx_emb: np.ndarray, role_emb: Mapping[str, np.ndarray], roles: Sequence[Role],
                gold: Mapping[tuple[str, str], str], cfg: PositionsConfig) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Zero-shot and supervised roles for every (unit, concept), and their validation against `gold`."""
    out, metrics, _ = score_roles_items(uc, ctx_emb, role_emb, roles, gold, cfg)
    return out, metrics


def score_roles_items(uc: pd.DataFrame, ctx_emb: np.ndarray, role_emb: Mapping[str, np.ndarray],
                      roles: Sequence[Role], gold: Mapping[tuple[str, str], str], cfg: PositionsConfig
                      ) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """score_roles plus the eval_items rows (coded items, gold vs predicted role) of its role evaluations.

    The supervised role of a coded item is its out-of-fold prediction (a model that never saw it); other
    items get the prediction of a model fitted on every coded item.
    """
    ids = [r.id for r in roles]
    cues = cue_matrix(uc["context"].tolist(), roles)
    protos = prototypes(role_emb, roles)
    zs = zero_shot_scores(ctx_emb, protos, cues, cfg.cue_weight)
    zs_labels, zs_top = assign(zs, roles, cfg.unclear_threshold)
    emb_labels, _ = assign(zero_shot_scores(ctx_emb, protos, cues, 0.0), roles, cfg.unclear_threshold)
    keys = list(zip(uc["unit_id"], uc["concept"], strict=True))
    coded = [i for i, k in enumerate(keys) if k in gold]
    y = [gold[keys[i]] for i in coded]
    feats = np.hstack([ctx_emb, cues]) if cfg.supervised_cues else ctx_emb
    sup_labels: list[str | None] = [None] * len(uc)
    sup_scores: list[float | None] = [None] * len(uc)
    metrics: dict[str, Any] = {"n_unit_concepts": len(uc), "n_coded": len(coded), "labels": ids,
                               "gold_distribution": dict(Counter(y))}
    routes: dict[str, list[str | None]] = {}
    if coded:
        def ev(pred: Sequence[str]) -> dict[str, Any]:
            return role_report(y, list(pred), ids, cfg.bootstrap, cfg.seed)

        metrics["zeroshot"] = {**ev([zs_labels[i] for i in coded]), "threshold": cfg.unclear_threshold}
        metrics["zeroshot_embedding_only"] = ev([emb_labels[i] for i in coded])
        scored = [j for j, r in enumerate(roles) if r.prototype_texts]
        th_pred, chosen = cv_threshold(zs[coded][:, scored], y, [ids[j] for j in scored], UNCLEAR,
                                       cfg.threshold_grid, cfg.cv_folds, cfg.seed)
        ok = [j for j, q in enumerate(th_pred) if q is not None]
        if ok:
            metrics["zeroshot_threshold_cv"] = {**role_report([y[j] for j in ok], [th_pred[j] for j in ok], ids,
                                                           cfg.bootstrap, cfg.seed), "thresholds_chosen": chosen}
        labels, proba = fit_predict(feats[coded], y, feats, cfg.seed, cfg.supervised_c)
        sup_labels, sup_scores = list(labels), [float(q) for q in proba]
        cv, cv_prob, folds = cv_predict(feats[coded], y, cfg.cv_folds, cfg.seed, cfg.supervised_c)
        ok = [j for j, q in enumerate(cv) if q is not None]
        for j in ok:
            sup_labels[coded[j]], sup_scores[coded[j]] = cv[j], cv_prob[j]
        if ok:
            metrics["supervised_cv"] = {**role_report([y[j] for j in ok], [cv[j] for j in ok], ids, cfg.bootstrap,
                                                   cfg.seed), "folds": folds, "n_left_out_rare": len(y) - len(ok)}
        routes = {"zeroshot": [zs_labels[i] for i in coded], "zeroshot_embedding_only": [emb_labels[i] for i in coded],
                  "zeroshot_threshold_cv": list(th_pred), "supervised_cv": list(cv)}
    use_sup = cfg.role_method == "supervised" and bool(coded)
    out = uc.drop(columns=["text"]).copy()
    out["role"] = sup_labels if use_sup else zs_labels
    out["score"] = sup_scores if use_sup else [float(v) for v in zs_top]
    out["method"] = "supervised" if use_sup else "zeroshot"
    out["zeroshot_role"], out["zeroshot_score"] = zs_labels, [float(v) for v in zs_top]
    out["supervised_role"], out["supervised_score"] = sup_labels, sup_scores
    scored_ids = [r.id for r in roles if r.prototype_texts]
    out["candidate_roles"] = [scored_ids] * len(uc)
    out["candidate_scores"] = [[float(zs[i, ids.index(r)]) for r in scored_ids] for i in range(len(uc))]
    out["gold_role"] = [gold.get(k) for k in keys]
    metrics["assigned"] = dict(Counter(out["role"]))
    metrics["method"] = out["method"].iloc[0] if len(out) else cfg.role_method
    return out, metrics, role_items(uc, coded, y, routes)


def validate_stances(replies: pd.DataFrame, gold: pd.DataFrame, cfg: PositionsConfig) -> dict[str, Any]:
    """Cue-based stances against hand-coded ones (replies present in both), with the role report's metrics."""
    coded = dict(zip(gold["utterance_id"], gold["stance"], strict=True))
    both = replies[replies["utterance_id"].isin(coded)]
    out = role_report([coded[u] for u in both["utterance_id"]], both["stance"].tolist(), list(STANCES), cfg.bootstrap, cfg.seed)
    out["per_stance"] = out.pop("per_role")
    out["n_coded_not_found"] = len(set(coded) - set(replies["utterance_id"]))
    return out


def embed_role_texts(roles: Sequence[Role], embed: Embed) -> dict[str, np.ndarray]:
    """Embeddings of each role's definition and examples."""
    return {r.id: embed(r.prototype_texts) for r in roles if r.prototype_texts}
