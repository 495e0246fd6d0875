"""Fine-tune the embedder on ArgKP train pairs (argument -> matching key point): a linear adapter
(mode `adapter`; mode `full` trains the whole encoder, see argkp_encoder.py).

The sentence-transformers encoder stays frozen; a square layer W (started at the identity) is trained
on its normalised train embeddings with a sentence-transformers loss (MultipleNegativesRankingLoss with
in-batch negatives, optionally one labelled non-matching key point per pair; or CoSENT on all labelled
pairs), seeded, on CPU in seconds. The model is saved as encoder + Dense(W) + Normalize, so it is an
ordinary `embed.model` folder whose vectors equal normalize(base_vector @ W).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.common.config import ArgkpFinetuneConfig
from pipeline.common.storage import read_json, sha256_text, write_json
from pipeline.evaluation.argkp.encoder import train_encoder
from pipeline.evaluation.argkp.pairs import Example, batches, training_examples
from pipeline.evaluation.argkp.scoring import KpaSplit

KEY_FILE = "argkp_finetune.json"


def train_adapter(vectors: dict[str, np.ndarray], examples: Sequence[Example],
                  cfg: ArgkpFinetuneConfig) -> tuple[np.ndarray, dict[str, float]]:
    """Train W (dim x dim, from the identity) on frozen vectors; returns W and training stats."""
    import torch

    if not examples:
        raise ValueError("no (argument, key point) pairs to fine-tune on")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # same float order on any machine; tiny matrices gain nothing from threads
    try:
        return _train(vectors, examples, cfg)
    finally:
        torch.set_num_threads(threads)


def _train(vectors: dict[str, np.ndarray], examples: Sequence[Example],
           cfg: ArgkpFinetuneConfig) -> tuple[np.ndarray, dict[str, float]]:
    import torch
    from sentence_transformers.sentence_transformer.losses import (
        CoSENTLoss,
        MultipleNegativesRankingLoss,
    )

    torch.manual_seed(cfg.seed)
    dim = len(next(iter(vectors.values())))
    cosent = cfg.loss == "cosent"
    loss = (CoSENTLoss if cosent else MultipleNegativesRankingLoss)(model=None, scale=cfg.scale)  # type: ignore[arg-type]
    delta = torch.zeros(dim, dim, requires_grad=True)
    opt = torch.optim.AdamW([delta], lr=cfg.lr, weight_decay=cfg.weight_decay)  # decays W towards the identity
    eye = torch.eye(dim)
    start, losses = time.perf_counter(), []
    for epoch in range(cfg.epochs):
        for batch in batches(examples, cfg.batch_size, cfg.seed + epoch, distinct_from=3 if cosent else 1):
            rows = [examples[i] for i in batch]
            width = 2 if cosent else min(len(r) for r in rows)
            cols = [torch.from_numpy(np.stack([vectors[r[c]] for r in rows]).astype(np.float32)) @ (eye + delta) for c in range(width)]
            labels = torch.tensor([float(r[2]) for r in rows]) if cosent else torch.zeros(len(rows))
            value = loss.compute_loss_from_embeddings(cols, labels)
            opt.zero_grad()
            value.backward()
            opt.step()
            losses.append(value.item())
    w = (eye + delta).detach().numpy().astype(np.float32)
    tail = losses[-max(1, len(losses) // cfg.epochs):]
    return w, {"seconds": round(time.perf_counter() - start, 2), "steps": len(losses), "examples": len(examples),
               "last_epoch_loss": round(float(np.mean(tail)), 4)}


def adapt(vectors: dict[str, np.ndarray], w: np.ndarray) -> dict[str, np.ndarray]:
    """normalize(v @ W) for every vector: what the saved model computes."""
    out = {}
    for k, v in vectors.items():
        y = v @ w
        out[k] = (y / max(float(np.linalg.norm(y)), 1e-12)).astype(np.float32)
    return out


def save_adapted(base_path: Path, w: np.ndarray, out_dir: Path) -> None:
    """Save encoder + Dense(W, no bias, identity activation) + Normalize to `out_dir` (replaced as a whole)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Normalize

    base = SentenceTransformer(str(base_path), device="cpu")
    mods = [m for m in base if not isinstance(m, Normalize)]
    dense = Dense(w.shape[0], w.shape[1], bias=False, activation_function=torch.nn.Identity(),
                  init_weight=torch.from_numpy(np.ascontiguousarray(w.T)))
    model = SentenceTransformer(modules=[*mods, Normalize(), dense, Normalize()], device="cpu")
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)


def split_sha(split: KpaSplit) -> str:
    """SHA-256 of a split's three tables (content, not file bytes)."""
    return sha256_text("\n".join(df.to_csv(index=False) for df in (split.arguments, split.key_points, split.labels)))


def finetune_key(data_sha: str, cfg: ArgkpFinetuneConfig, base_identity: str) -> str:
    """What a saved model was trained from: train data, settings (not `enabled`) and base model identity."""
    settings = cfg.model_dump(exclude={"enabled", "holdout_topics"})
    return sha256_text(json.dumps({"data": data_sha, "settings": settings, "base": base_identity}, sort_keys=True))


def ensure_finetuned(split: KpaSplit, base_vectors: dict[str, np.ndarray], cfg: ArgkpFinetuneConfig,
                     base_path: Path, base_identity: str, out_dir: Path, texts: dict[str, str] | None = None) -> dict:
    """The fine-tuned model in `out_dir`: reused when its key matches, else trained and saved now."""
    key = finetune_key(split_sha(split), cfg, base_identity)
    record_path = out_dir / KEY_FILE
    if record_path.is_file() and (rec := read_json(record_path)).get("key") == key:
        return {**rec, "reused": True}
    if cfg.mode == "full":

        if texts is None:
            raise ValueError("mode full needs the texts of the train split")
        stats = train_encoder(base_path, texts, training_examples(split, cfg), cfg, out_dir)
    else:
        w, stats = train_adapter(base_vectors, training_examples(split, cfg), cfg)
        save_adapted(base_path, w, out_dir)
    seconds = stats.pop("seconds")  # kept out of the folder: its files make the model identity
    rec = {"key": key, "settings": cfg.model_dump(), "base": base_identity,
           "topics": sorted(split.arguments["topic"].unique().tolist()), "train": stats}
    write_json(rec, record_path)
    return {**rec, "reused": False, "train_seconds": seconds}


def topic_folds(split: KpaSplit, holdout: int, seed: int) -> tuple[KpaSplit, KpaSplit]:
    """(fit, held-out) parts of a split by topic: `holdout` seeded topics are kept out of fine-tuning."""
    topics = sorted(split.arguments["topic"].unique())
    if not 0 < holdout < len(topics):
        raise ValueError(f"holdout_topics={holdout}: need between 1 and {len(topics) - 1} of {len(topics)} topics")
    held = {str(t) for t in np.random.default_rng(seed).permutation(topics)[:holdout]}

    def part(keep: bool) -> KpaSplit:
        a = split.arguments[split.arguments["topic"].isin(held) == keep]
        k = split.key_points[split.key_points["topic"].isin(held) == keep]
        lab = split.labels[split.labels["arg_id"].isin(set(a["arg_id"]))]
        return KpaSplit(a.reset_index(drop=True), k.reset_index(drop=True), lab.reset_index(drop=True))

    return part(False), part(True)
