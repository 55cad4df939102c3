"""Runs: the TOML config, the run directory and the cached pipeline."""
