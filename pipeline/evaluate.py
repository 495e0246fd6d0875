"""`python -m pipeline evaluate WHAT ...`: evaluation commands on real data, printing JSON."""

from __future__ import annotations

import importlib
import sys

EVALUATIONS: dict[str, str] = {
    "argkp": "pipeline.eval_argkp",
    "extraction": "pipeline.eval_extraction",
    "frame-splits": "pipeline.eval_frames",
    "talk": "pipeline.eval_talk",
}


def main(argv: list[str]) -> int:
    """Dispatch to the evaluation named by the first argument."""
    if not argv or argv[0] not in EVALUATIONS:
        sys.stderr.write(f"usage: python -m pipeline evaluate {{{','.join(EVALUATIONS)}}} [options]\n")
        return 2
    return int(importlib.import_module(EVALUATIONS[argv[0]]).main(argv[1:]) or 0)
