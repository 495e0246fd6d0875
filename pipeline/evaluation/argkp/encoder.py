"""Full fine-tuning of the sentence-transformers encoder on ArgKP train pairs (argument -> key point).

The alternative to the linear adapter (`finetune.mode: full`): every transformer layer is trained
(the token embedding matrix stays frozen with `freeze_embeddings`) with MultipleNegativesRankingLoss on
(argument, key point[, non-matching key point]) texts, or CoSENT on all labelled pairs; AdamW with a
linear warm-up and decay, seeded batches, CPU. The result is saved as an ordinary model folder.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.common.config import ArgkpFinetuneConfig
from pipeline.evaluation.argkp.pairs import Example, batches


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up over `warmup` steps, then linear decay to 0 at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def train_encoder(base_path: Path, texts: dict[str, str], examples: Sequence[Example], cfg: ArgkpFinetuneConfig,
                  out_dir: Path, progress: bool = True) -> dict[str, float]:
    """Fine-tune the encoder at `base_path` on `examples` (ids into `texts`) and save it to `out_dir`."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import (
        CoSENTLoss,
        MultipleNegativesRankingLoss,
    )
    from tqdm import tqdm

    if not examples:
        raise ValueError("no (argument, key point) pairs to fine-tune on")
    torch.manual_seed(cfg.seed)
    model = SentenceTransformer(str(base_path), device="cpu")
    served_length, model.max_seq_length = model.max_seq_length, cfg.max_seq_length
    if cfg.freeze_embeddings:
        for p in model[0].auto_model.embeddings.parameters():
            p.requires_grad = False
    cosent = cfg.loss == "cosent"
    loss = CoSENTLoss(model, scale=cfg.scale) if cosent else MultipleNegativesRankingLoss(model, scale=cfg.scale)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr, weight_decay=cfg.weight_decay)
    plan = [b for e in range(cfg.epochs) for b in batches(examples, cfg.batch_size, cfg.seed + e, distinct_from=3 if cosent else 1)]
    warmup = max(1, int(cfg.warmup_share * len(plan)))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, len(plan), warmup))
    model.train()
    start, losses = time.perf_counter(), []
    for batch in tqdm(plan, desc="fine-tune encoder", unit="step", disable=not progress or bool(os.environ.get("CI"))):
        rows = [examples[i] for i in batch]
        width = 2 if cosent else min(len(r) for r in rows)
        features = [model.preprocess([texts[r[c]] for r in rows]) for c in range(width)]
        labels = torch.tensor([float(r[2]) for r in rows]) if cosent else torch.zeros(len(rows))
        value = loss(features, labels)
        opt.zero_grad()
        value.backward()
        opt.step()
        sched.step()
        losses.append(value.item())
    model.eval()
    model.max_seq_length = served_length  # the saved model embeds like the base one
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    per_epoch = max(1, len(losses) // cfg.epochs)
    return {"seconds": round(time.perf_counter() - start, 2), "steps": len(losses), "examples": len(examples),
            "last_epoch_loss": round(float(np.mean(losses[-per_epoch:])), 4)}
