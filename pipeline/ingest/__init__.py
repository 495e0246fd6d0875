"""The `ingest` stage (and `inspect`): sources in every format -> documents, utterances, problems."""
