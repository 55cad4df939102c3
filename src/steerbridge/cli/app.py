"""The `steerbridge` command: one typer app; each command group lives in its own module here."""

from __future__ import annotations

import typer

from steerbridge import progress
from steerbridge.cli import (
    bridge_cmd,
    console,
    dose_cmd,
    effect_cmd,
    llamacpp_cmd,
    models_cmd,
    run_cmd,
    score_cmd,
    steer_cmd,
    verdicts_cmd,
)

# `progress=True` in the library draws the CLI's rich bars (the library itself draws nothing).
progress.set_factory(console.bar_progress)

app = typer.Typer(
    name="steerbridge",
    help="Carry steering vectors from a small language model to a large one, "
    "and measure what survives.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(models_cmd.app, name="models")

# Command modules register themselves on `app` here, one line each.
for _register in (bridge_cmd.register, dose_cmd.register, effect_cmd.register, score_cmd.register,
                  run_cmd.register, steer_cmd.register, llamacpp_cmd.register,
                  verdicts_cmd.register):
    _register(app)


def main() -> None:
    """Entry point that turns a SteerbridgeError into a clear message and exit code 2."""
    console.run_app(app)


if __name__ == "__main__":
    main()
