"""The `evaluate` command: evaluations on real data (extraction, frame splits, ArgKP)."""
