"""Runs: the TOML config, the run directory and the cached pipeline.

- `config`: the validated TOML config and each stage's content key.
- `rundir`: run-directory layout, identity, atomic JSON writes, finding a run's files.
- `stages`: each cached stage (bridge, layer-pair screen, vectors, evaluation).
- `pipeline`: `run`, the whole job into results.json and the report.
"""
