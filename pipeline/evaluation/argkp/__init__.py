"""The ArgKP (KPA-2021) benchmark: scoring, encoder fine-tuning, tuning on train."""
