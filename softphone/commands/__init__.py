"""Command-line command families (see softphone/cli.py)."""
