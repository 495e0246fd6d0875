"""Fine-tune the sentence embedder on ArgKP train pairs (argument -> matching key point), offline, CPU.

Pure parts: training examples and no-duplicate batches from a split, and the reuse key. `train_model`
runs a plain torch loop over a sentence-transformers loss (no HF Trainer, so no extra packages), seeded;
`ensure_finetuned` reuses a saved model whose key (train data + settings + base weights) matches.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from pipeline.argkp_core import GROUP, KpaSplit
from pipeline.config import ArgkpFinetuneConfig
from pipeline.io import read_json, sha256_text, write_json

KEY_FILE = "argkp_finetune.json"

Example = tuple[str, ...]  # (argument, key point[, negative key point]) or (argument, key point, label)


def _texts(split: KpaSplit) -> tuple[dict[str, str], dict[str, str]]:
    return (dict(zip(split.arguments["arg_id"], split.arguments["argument"].astype(str), strict=True)),
            dict(zip(split.key_points["key_point_id"], split.key_points["key_point"].astype(str), strict=True)))


def training_examples(split: KpaSplit, cfg: ArgkpFinetuneConfig) -> list[Example]:
    """Examples in label-file order: positives (mnrl), + one seeded labelled negative (mnrl_hard), or all pairs (cosent)."""
    arg, kp = _texts(split)
    lab = split.labels[split.labels["arg_id"].isin(arg.keys()) & split.labels["key_point_id"].isin(kp.keys())]
    if cfg.loss == "cosent":
        return [(arg[a], kp[k], str(int(y))) for a, k, y in lab[["arg_id", "key_point_id", "label"]].itertuples(index=False)]
    pos = lab[lab["label"] == 1]
    if cfg.loss == "mnrl":
        return [(arg[a], kp[k]) for a, k in pos[["arg_id", "key_point_id"]].itertuples(index=False)]
    rng = np.random.default_rng(cfg.seed)
    neg = lab[lab["label"] == 0].groupby("arg_id")["key_point_id"].agg(list).to_dict()
    group_of = split.key_points.set_index("key_point_id")[GROUP].apply(tuple, axis=1).to_dict()
    kps_of = split.key_points.groupby(GROUP)["key_point_id"].agg(list).to_dict()
    positives = pos.groupby("arg_id")["key_point_id"].agg(set).to_dict()
    out: list[Example] = []
    for a, k in pos[["arg_id", "key_point_id"]].itertuples(index=False):
        # a labelled non-match of the same argument; else another key point of its group that is not a match
        cands = neg.get(a) or [c for c in kps_of[group_of[k]] if c not in positives[a]]
        out.append((arg[a], kp[k], kp[cands[int(rng.integers(len(cands)))]]) if cands else (arg[a], kp[k]))
    return out


def batches(examples: Sequence[Example], batch_size: int, seed: int, distinct_from: int = 1) -> list[list[int]]:
    """Seeded shuffled batches in which no text from column `distinct_from` on repeats (no false in-batch negatives).

    An example that would repeat a key point waits for the next batch; every example is used once."""
    order = list(np.random.default_rng(seed).permutation(len(examples)))
    out: list[list[int]] = []
    while order:
        batch: list[int] = []
        seen: set[str] = set()
        rest: list[int] = []
        for i in order:
            texts = set(examples[i][distinct_from:])
            if len(batch) < batch_size and not texts & seen:
                batch.append(i)
                seen |= texts
            else:
                rest.append(i)
        out.append(batch)
        order = rest
    return out


def finetune_key(data_sha: str, cfg: ArgkpFinetuneConfig, base_fingerprint: str) -> str:
    """What a saved model was trained from: train data hash, settings (not `enabled`) and base weights."""
    settings = cfg.model_dump(exclude={"enabled", "holdout_topics"})
    return sha256_text(json.dumps({"data": data_sha, "settings": settings, "base": base_fingerprint}, sort_keys=True))


def split_sha(split: KpaSplit) -> str:
    """SHA-256 of a split's three tables (content, not file bytes)."""
    return sha256_text("\n".join(df.to_csv(index=False) for df in (split.arguments, split.key_points, split.labels)))


def train_model(base_path: Path, examples: list[Example], cfg: ArgkpFinetuneConfig, out_dir: Path,
                progress: bool = True) -> dict[str, float]:
    """Fine-tune the model at `base_path` on `examples` and save it to `out_dir` (replaced atomically)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import CoSENTLoss, MultipleNegativesRankingLoss

    torch.manual_seed(cfg.seed)
    model = SentenceTransformer(str(base_path), device="cpu")
    model.max_seq_length = cfg.max_seq_length
    cosent = cfg.loss == "cosent"
    loss = CoSENTLoss(model, scale=cfg.scale) if cosent else MultipleNegativesRankingLoss(model, scale=cfg.scale)
    plan = [batches(examples, cfg.batch_size, cfg.seed + e, distinct_from=3 if cosent else 1) for e in range(cfg.epochs)]
    steps = sum(len(p) for p in plan)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    warm = max(1, int(cfg.warmup_ratio * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    model.train()
    start, losses = time.perf_counter(), []
    with tqdm(total=steps, desc="finetune", disable=not progress) as bar:
        for epoch_batches in plan:
            for batch in epoch_batches:
                rows = [examples[i] for i in batch]
                n_text = 2 if cosent else min(len(r) for r in rows)
                feats = [model.tokenize([r[c] for r in rows]) for c in range(n_text)]
                labels = torch.tensor([float(r[2]) for r in rows]) if cosent else torch.zeros(len(rows))
                value = loss(feats, labels)
                opt.zero_grad()
                value.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                losses.append(float(value))
                bar.update(1)
    seconds = time.perf_counter() - start
    model.eval()
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    tail = losses[-max(1, len(losses) // 10):]
    return {"seconds": round(seconds, 1), "steps": steps, "examples": len(examples),
            "final_loss": round(float(np.mean(tail)), 4), "threads": torch.get_num_threads()}


def ensure_finetuned(split: KpaSplit, cfg: ArgkpFinetuneConfig, base_path: Path, base_fingerprint: str,
                     out_dir: Path, progress: bool = True) -> dict:
    """The fine-tuned model in `out_dir`: reused when its key matches, else trained now. Returns its record."""
    key = finetune_key(split_sha(split), cfg, base_fingerprint)
    record_path = out_dir / KEY_FILE
    if record_path.is_file() and (rec := read_json(record_path)).get("key") == key:
        return {**rec, "reused": True}
    examples = training_examples(split, cfg)
    if not examples:
        raise ValueError("no (argument, matching key point) pairs to fine-tune on")
    stats = train_model(base_path, examples, cfg, out_dir, progress)
    rec = {"key": key, "settings": cfg.model_dump(), "base_fingerprint": base_fingerprint,
           "topics": sorted(split.arguments["topic"].unique().tolist()), "train": stats}
    write_json(rec, record_path)
    return {**rec, "reused": False}


def topic_folds(split: KpaSplit, holdout: int, seed: int) -> tuple[KpaSplit, KpaSplit]:
    """(fit, held-out) parts of a split by topic: `holdout` seeded topics are held out from fine-tuning."""
    topics = sorted(split.arguments["topic"].unique())
    if holdout >= len(topics):
        raise ValueError(f"holdout_topics={holdout} leaves no topic to fine-tune on ({len(topics)} topics)")
    held = set(np.random.default_rng(seed).permutation(topics)[:holdout].tolist())

    def part(keep: bool) -> KpaSplit:
        a = split.arguments[split.arguments["topic"].isin(held) == keep]
        k = split.key_points[split.key_points["topic"].isin(held) == keep]
        lab = split.labels[split.labels["arg_id"].isin(set(a["arg_id"]))]
        return KpaSplit(a.reset_index(drop=True), k.reset_index(drop=True), lab.reset_index(drop=True))

    return part(False), part(True)

