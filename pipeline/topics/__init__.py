"""The `cluster` and `stability` stages: BERTopic topics over the unit embeddings."""
