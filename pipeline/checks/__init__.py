"""The `conservation` stage: every source item accounted for."""
