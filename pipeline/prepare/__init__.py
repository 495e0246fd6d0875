"""The `clean`, `attribute` and `segment` stages: cleaned, attributed utterances and argument units."""
