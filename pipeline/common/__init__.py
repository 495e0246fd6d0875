"""Shared code: typed config, table schemas and storage, engine, text normalisation, codebook, agreement metrics."""
