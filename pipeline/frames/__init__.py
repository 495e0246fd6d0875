"""The `frame` stage: codebook frames for units and utterances, validated against hand coding."""
