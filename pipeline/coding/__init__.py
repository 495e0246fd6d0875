"""The `code` command: coding sheets out and coded sheets back in."""
