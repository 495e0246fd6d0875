"""The `positions` stage: concept roles, relations, participant positions, reply network."""
