"""The command line: typer commands, rich tables and progress bars (the top of the stack)."""

from steerbridge.cli.app import app, main

__all__ = ["app", "main"]
