"""The `embed` stage: unit embeddings through a persistent cache."""
