"""The seed corpus run through ingest -> clean -> attribute -> segment once per test session."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params.yaml"
CODEBOOK = ROOT / "codebooks" / "social_business.yaml"


@lru_cache(maxsize=1)
def seed_tables() -> dict[str, Any]:
    """Every table of the four stages on data/raw/seeds, computed in-process (no files written)."""
    from pipeline.common.concepts import load_forms
    from pipeline.common.config import load_params, load_yaml
    from pipeline.ingest.reading import read_corpora
    from pipeline.prepare.attribution import attribute
    from pipeline.prepare.cleaning import clean_utterances
    from pipeline.prepare.partitioned import decode_sources, read_source_bytes
    from pipeline.prepare.segmentation import segment

    params = load_params(PARAMS)
    seeds = tuple(c for c in params.corpora if c.name == "seeds")
    ingested = read_corpora(seeds, params.ingest, ROOT)
    cleaned = clean_utterances(ingested["utterances"], params.clean)
    attributed, participants = attribute(cleaned.utterances, ingested["documents"], params.attribute, params.clean)
    forms = load_forms(load_yaml(CODEBOOK)["concepts"], str(CODEBOOK))
    sources = decode_sources(read_source_bytes(set(attributed.source_file), ROOT))
    units, problems, metrics = segment(attributed, sources, forms, params.segment)
    return {"params": params, "documents": ingested["documents"], "utterances": ingested["utterances"],
            "clean": cleaned, "attributed": attributed, "participants": participants,
            "units": units, "segment_problems": problems, "segment_metrics": metrics,
            "sources": sources, "forms": forms}


def by_opening(df: pd.DataFrame, doc: str, opening: str) -> pd.Series:
    """The one row of document `doc` (key) whose text starts with `opening`."""
    rows = df[(df.doc_id == f"seeds/{doc}") & df.text.str.startswith(opening)]
    assert len(rows) == 1, f"{doc}: {len(rows)} utterances open with {opening!r}"
    return rows.iloc[0]
