"""Research pipeline for online discussion corpora."""
