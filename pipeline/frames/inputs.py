"""The frame stage's inputs, read and checked once: codebook frames, units and their vectors, codes, topics.

The reading side of the stage's edge, shared with `evaluate frame-splits`; everything after it is pure."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.codebook import Frame, load_codebook
from pipeline.common.config import Params
from pipeline.common.embedders import make_embedder
from pipeline.common.schema import EMBEDDINGS, UNIT_CODES, UNIT_TOPICS, UNITS, UTTERANCE_CODES
from pipeline.common.storage import read_table
from pipeline.frames.batch import UnitBatch, contextualise, make_batch, utterance_vectors
from pipeline.frames.features import uses_block
from pipeline.frames.framers import prototype_vectors
from pipeline.frames.relevance import Topic, load_topic, topic_prototype


def add_input_args(ap: argparse.ArgumentParser) -> None:
    """The options naming what `read_inputs` reads (units, embeddings, codebook, coder1's codes)."""
    ap.add_argument("--units", type=Path, required=True)
    ap.add_argument("--embeddings", type=Path, required=True)
    ap.add_argument("--codebook", type=Path, required=True)
    ap.add_argument("--unit-codes", type=Path, required=True, help="coder1 unit annotations CSV")
    ap.add_argument("--utterance-codes", type=Path, required=True, help="coder1 utterance annotations CSV")
    ap.add_argument("--imported-codes", type=Path, default=None,
                    help="folder of coded sheets brought in by `code import` (unit codes of any corpus, *.csv)")


def load_codes(path: Path | None, table: Any) -> pd.DataFrame:
    """An annotations CSV (empty table when no path)."""
    if path is None:
        return pd.DataFrame(columns=table.names)
    return pd.read_csv(path, dtype=str, keep_default_na=False)[table.names]


def with_imported(codes: pd.DataFrame, folder: Path | None, table: Any) -> pd.DataFrame:
    """The codes plus every CSV of `folder` in name order (a unit coded twice keeps its last code)."""
    files = sorted(folder.glob("*.csv")) if folder is not None and folder.is_dir() else []
    if not files:
        return codes
    both = pd.concat([codes, *(load_codes(f, table) for f in files)], ignore_index=True)
    return both.drop_duplicates("unit_id", keep="last").reset_index(drop=True)


@dataclass(frozen=True)
class FrameInputs:
    """What framing reads: its config, the codebook frames, units with their batch, codes, topics, prototypes."""

    params: Params
    frames: list[Frame]
    units: pd.DataFrame
    batch: UnitBatch
    codes: dict[str, pd.DataFrame | None]
    topics: pd.DataFrame | None
    prototypes: np.ndarray
    topic: Topic | None = None
    topic_prototype: np.ndarray | None = None


def read_inputs(args: argparse.Namespace, params: Params) -> FrameInputs:
    """Read and check the stage's inputs named by `args` (ValueError/ConfigError/FileNotFoundError on bad input)."""
    codebook = load_codebook(args.codebook)
    frames = list(codebook.frames)
    units = read_table(args.units, UNITS).sort_values("unit_id", kind="stable").reset_index(drop=True)
    emb = read_table(args.embeddings, EMBEDDINGS).set_index("unit_id")
    missing = sorted(set(units["unit_id"]) - set(emb.index))
    if missing:
        raise ValueError(f"{args.embeddings}: no vectors for {len(missing)} units (e.g. {missing[:3]})")
    raw = np.stack([np.asarray(v, dtype=np.float64) for v in emb.loc[units["unit_id"], "vector"]])
    cfg, embedder = params.frame, make_embedder(params.embed)
    utt_vectors = utterance_vectors(units, embedder.embed) if uses_block(cfg, "utterance") else None
    batch = make_batch(units, raw, contextualise(raw, units["utterance_id"].tolist(), cfg.context_weight), utt_vectors)
    optional = {"second": getattr(args, "second_coder", None), "independent": getattr(args, "independent_coder", None)}
    codes = {"units": with_imported(load_codes(args.unit_codes, UNIT_CODES), getattr(args, "imported_codes", None),
                                    UNIT_CODES),
             "utterances": load_codes(args.utterance_codes, UTTERANCE_CODES),
             **{k: load_codes(path, UNIT_CODES) if path else None for k, path in optional.items()}}
    topics_path = getattr(args, "unit_topics", None)
    topics = read_table(topics_path, UNIT_TOPICS) if topics_path and topics_path.exists() else None
    # Both routes are always validated (for comparison); the zero-shot one needs frame prototypes.
    topic = load_topic(codebook.raw, str(args.codebook)) if params.relevance.enabled else None
    return FrameInputs(params, frames, units, batch, codes, topics, prototype_vectors(frames, embedder.embed), topic,
                       topic_prototype(topic, embedder.embed) if topic else None)
