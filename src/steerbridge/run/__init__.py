"""Runs: the TOML config, the run directory and the cached pipeline.

- `config`: the validated TOML config (`behaviour_config`: one ``[[behaviours]]`` entry);
  `keys`: each stage's content key (file bytes, model fingerprints, never paths).
- `rundir`: run-directory layout, identity, atomic JSON writes, finding a run's files;
  `cache`: reading cached artifacts back, setting corrupt ones aside.
- `behaviour_data`: a behaviour's items (built-in, one file split in two, or two files), checked.
- `stages`: each cached stage (bridge, layer-pair screen, vectors, evaluation);
  `effect_stage`: the effect-matched bridge; `transfer_stage`: each behaviour's vector carried
  by the configured method, with random-source controls; `transfer_config`: ``[transfer]``.
- `outcomes`: warnings per behaviour, behaviours that fail alone, the failure summary.
- `pipeline`: `run`, the whole job into results.json and the report.
"""
