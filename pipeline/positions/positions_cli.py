"""Stage `positions`: concept roles, relation statements, participant positions and map, reply network."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.config import ConfigError, PositionsConfig, load_params, load_yaml
from pipeline.common.eval_items import combine, role_items, stance_items
from pipeline.common.schema import (
    EVAL_ITEMS,
    PARTICIPANT_MAP,
    POSITIONS,
    PROBLEMS,
    RELATIONS,
    REPLIES,
    REPLY_PAIRS,
    UNIT_ROLES,
    UNITS,
    make_table,
)
from pipeline.common.storage import read_table, write_json, write_table, write_text
from pipeline.positions.participants import (
    frame_mix,
    map_figure,
    participant_map,
    participant_positions,
)
from pipeline.positions.relations import extract_relations, load_rules
from pipeline.positions.replies import (
    STANCES,
    load_stance_rules,
    participant_index,
    reply_edges,
    reply_pairs,
    resolve,
)
from pipeline.positions.role_model import cv_predict, cv_threshold, evaluate, fit_predict
from pipeline.positions.roles import (
    UNCLEAR,
    Role,
    assign,
    cue_matrix,
    load_concepts,
    load_roles,
    prototypes,
    unit_concepts,
    zero_shot_scores,
)

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
            return evaluate(y, list(pred), ids, cfg.bootstrap, cfg.seed)

        metrics["zeroshot"] = {**ev([zs_labels[i] for i in coded]), "threshold": cfg.unclear_threshold}
        metrics["zeroshot_embedding_only"] = ev([emb_labels[i] for i in coded])
        scored = [j for j, r in enumerate(roles) if r.prototype_texts]
        th_pred, chosen = cv_threshold(zs[coded][:, scored], y, [ids[j] for j in scored], UNCLEAR,
                                       cfg.threshold_grid, cfg.cv_folds, cfg.seed)
        ok = [j for j, q in enumerate(th_pred) if q is not None]
        if ok:
            metrics["zeroshot_threshold_cv"] = {**evaluate([y[j] for j in ok], [th_pred[j] for j in ok], ids,
                                                           cfg.bootstrap, cfg.seed), "thresholds_chosen": chosen}
        labels, proba = fit_predict(feats[coded], y, feats, cfg.seed, cfg.supervised_c)
        sup_labels, sup_scores = list(labels), [float(q) for q in proba]
        cv, cv_prob, folds = cv_predict(feats[coded], y, cfg.cv_folds, cfg.seed, cfg.supervised_c)
        ok = [j for j, q in enumerate(cv) if q is not None]
        for j in ok:
            sup_labels[coded[j]], sup_scores[coded[j]] = cv[j], cv_prob[j]
        if ok:
            metrics["supervised_cv"] = {**evaluate([y[j] for j in ok], [cv[j] for j in ok], ids, cfg.bootstrap,
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
    out = evaluate([coded[u] for u in both["utterance_id"]], both["stance"].tolist(), list(STANCES), cfg.bootstrap, cfg.seed)
    out["per_stance"] = out.pop("per_role")
    out["n_coded_not_found"] = len(set(coded) - set(replies["utterance_id"]))
    return out


def embed_role_texts(roles: Sequence[Role], embed: Embed) -> dict[str, np.ndarray]:
    """Embeddings of each role's definition and examples."""
    return {r.id: embed(r.prototype_texts) for r in roles if r.prototype_texts}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options: every input and output path is passed in."""
    ap = argparse.ArgumentParser(prog="python -m pipeline positions", description=__doc__)
    a = ap.add_argument
    a("--units", type=Path, required=True)
    a("--utterances", type=Path, required=True, help="attributed (clean) utterances with parent_id and author")
    a("--participants", type=Path, default=None)
    a("--documents", type=Path, default=None, help="documents table: post authors answered by top-level comments")
    a("--embeddings", type=Path, default=None, help="unit embeddings table (else units are embedded here)")
    a("--unit-frames", type=Path, default=None)
    a("--codebook", type=Path, required=True)
    a("--annotations", type=Path, default=None, help="hand-coded roles CSV (unit_id,text,concept,role,note)")
    a("--reply-annotations", type=Path, default=None, help="hand-coded reply stances CSV (utterance_id,stance)")
    a("--params", type=Path, default=Path("params.yaml"))
    for name in ("unit-roles", "relations", "positions", "map", "map-figure", "replies", "reply-pairs", "problems", "metrics"):
        a(f"--out-{name}", type=Path, required=True)
    a("--out-eval-items", type=Path, default=None, help="eval_items table: the coded items behind each confusion matrix")
    return ap.parse_args(argv)


def _read_optional(path: Path | None) -> pd.DataFrame | None:
    return read_table(path) if path is not None and path.exists() else None


def main(argv: list[str]) -> int:
    """Load inputs, run roles, relations, positions, map and replies, write every output."""
    args = parse_args(argv)
    try:
        params = load_params(args.params)
        cfg, codebook = params.positions, load_yaml(args.codebook)
        roles, concepts = load_roles(codebook, str(args.codebook)), load_concepts(codebook, str(args.codebook))
        rules = load_rules(codebook, cfg.max_gap_chars, cfg.short_gap_chars, cfg.negation_window, str(args.codebook))
        stance_rules = load_stance_rules(codebook, cfg.contrast_window, str(args.codebook))
        units, utts = read_table(args.units, UNITS), read_table(args.utterances)
        participants, unit_frames = _read_optional(args.participants), _read_optional(args.unit_frames)
        ann = pd.read_csv(args.annotations, dtype=str, keep_default_na=False) if args.annotations else None
        reply_gold = (pd.read_csv(args.reply_annotations, dtype=str, keep_default_na=False)
                      if args.reply_annotations else None)
    except (ConfigError, ValueError, FileNotFoundError, OSError) as e:
        sys.stderr.write(f"positions: {e}\n")
        return 1
    from pipeline.common.embedders import make_embedder

    embedder = make_embedder(params.embed)
    index = participant_index(participants) if participants is not None else {}
    names = dict(zip(participants["participant_id"], participants["name"], strict=True)) if participants is not None else {}
    uc = unit_concepts(units, concepts, cfg.min_context_chars)
    uc.insert(5, "participant_id", [resolve(c, a, index) for c, a in zip(uc["corpus"], uc["author"], strict=True)])
    problems: list[dict[str, Any]] = []
    if unit_frames is not None and not ({"unit_id", "frame"} <= set(unit_frames.columns)
                                        or {"unit_id", "frames"} <= set(unit_frames.columns)):
        problems.append({"corpus": "", "source": str(args.unit_frames), "location": None, "stage": "positions",
                         "reason": "bad-unit-frames", "detail": f"{args.unit_frames}: needs columns unit_id and frame; "
                         "frame mixes left empty"})
        unit_frames = None
    gold, ann_problems = align_annotations(ann, uc, [r.id for r in roles], str(args.annotations)) if ann is not None else ({}, [])
    problems += ann_problems
    ctx_emb = embedder.embed(uc["context"].tolist()) if len(uc) else np.zeros((0, embedder.dim))
    unit_roles, metrics, items = score_roles_items(uc, ctx_emb, embed_role_texts(roles, embedder.embed), roles, gold,
                                                   cfg)
    relations = extract_relations(units, concepts, rules)
    docs = _read_optional(args.documents)
    post_authors = {d: a for d, a in zip(docs["doc_id"], docs["post_author"], strict=True) if isinstance(a, str)} if docs is not None else {}
    replies = reply_edges(utts, index, stance_rules, post_authors)
    pairs = reply_pairs(replies)
    vectors = _unit_vectors(units, args.embeddings, embedder.embed)
    role_ids = [r.id for r in roles]
    frame_order = list((codebook.get("frames") or {}).keys())
    fmix = frame_mix(unit_frames, units, index)
    positions = participant_positions(unit_roles, names, role_ids, fmix, frame_order)
    pmap = participant_map(units, vectors, unit_roles, index, names, role_ids, fmix, frame_order, cfg.map_mix_weight, cfg.seed)
    metrics["relations"] = {"n": len(relations), "by_relation": dict(Counter(relations["relation"])),
                            "negated": int(relations["negated"].sum()) if len(relations) else 0}
    metrics["replies"] = {"n": len(replies), "by_stance": dict(Counter(replies["stance"])), "n_pairs": len(pairs)}
    if reply_gold is not None:
        metrics["replies"]["validation"] = validate_stances(replies, reply_gold, cfg)
        items = combine([items, stance_items(replies, reply_gold)])
    metrics["participants"] = {"n_mapped": len(pmap), "n_positions": len(positions)}
    metrics["problems"] = dict(Counter(p["reason"] for p in problems))
    write_table(unit_roles, UNIT_ROLES, args.out_unit_roles)
    write_table(relations, RELATIONS, args.out_relations)
    write_table(positions, POSITIONS, args.out_positions)
    write_table(pmap, PARTICIPANT_MAP, args.out_map)
    write_text(map_figure(pmap, "Participants: mean unit embedding + role and frame mix (PCA)"), args.out_map_figure)
    write_table(replies, REPLIES, args.out_replies)
    write_table(pairs, REPLY_PAIRS, args.out_reply_pairs)
    write_table(make_table(problems, PROBLEMS), PROBLEMS, args.out_problems)
    write_json(metrics, args.out_metrics)
    if args.out_eval_items:
        write_table(items, EVAL_ITEMS, args.out_eval_items)
    zs = metrics.get("zeroshot", {})
    sys.stderr.write(f"positions: {len(unit_roles)} unit-concepts ({len(gold)} coded; zero-shot macro-F1 "
                     f"{zs.get('macro_f1', float('nan')):.3f}), {len(relations)} relations, {len(replies)} replies, "
                     f"{len(pmap)} participants mapped\n")
    return 0


def _unit_vectors(units: pd.DataFrame, path: Path | None, embed: Embed) -> np.ndarray:
    """Unit embeddings in unit order: from the embeddings table where present, the rest embedded here."""
    have: dict[str, np.ndarray] = {}
    if path is not None and path.exists():
        emb = read_table(path)
        have = {u: np.asarray(v, dtype=np.float32) for u, v in zip(emb["unit_id"], emb["vector"], strict=True)}
    todo = [t for u, t in zip(units["unit_id"], units["text"], strict=True) if u not in have]
    new = iter(embed(todo)) if todo else iter(())
    rows = [have[u] if u in have else next(new) for u in units["unit_id"]]
    return np.vstack(rows) if rows else np.zeros((0, 1))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
