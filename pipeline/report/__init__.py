"""The `report` stage: self-contained offline HTML reports, metrics and dvc plots data."""
