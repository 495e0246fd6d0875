"""Scaling benchmark (make bench): synthetic corpora, throughput, memory, engine and cache ratios."""
