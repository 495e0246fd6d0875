"""`python -m pipeline evaluate WHAT ...`: evaluation commands on real data, printing JSON."""

from __future__ import annotations

import importlib
import sys

EVALUATIONS: dict[str, str] = {
    "argkp": "pipeline.evaluation.argkp_cli",
    "coding-curve": "pipeline.evaluation.coding_curve_cli",
    "extraction": "pipeline.evaluation.extraction_cli",
    "frame-splits": "pipeline.evaluation.frame_splits_cli",
    "talk": "pipeline.evaluation.talk_cli",
    "topic-invariance": "pipeline.evaluation.topic_invariance_cli",
    "relevance": "pipeline.evaluation.relevance_cli",
}


def main(argv: list[str]) -> int:
    """Dispatch to the evaluation named by the first argument."""
    if not argv or argv[0] not in EVALUATIONS:
        sys.stderr.write(f"usage: python -m pipeline evaluate {{{','.join(EVALUATIONS)}}} [options]\n")
        return 2
    return int(importlib.import_module(EVALUATIONS[argv[0]]).main(argv[1:]) or 0)
