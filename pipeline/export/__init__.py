"""The `export` command: the corpus in other toolkits' formats (ConvoKit)."""
