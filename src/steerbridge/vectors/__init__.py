"""Steering vectors: A/B data, answer-state readout, extraction, steering hooks, file I/O.

- `datasets`: `ABItem`, loaders (CAA JSON, evals JSONL), built-in behaviours.
- `splits`: one task file into disjoint generate / test sets (de-duplicated, balanced).
- `prompts`: `build_prompts` (chat template, assistant turn opened, answer labels apart).
- `readout`: `answer_states` at the matching / non-matching answer, `items_for_read`.
- `aggregators`: `mean_diff`, `pca_diff`, `logistic_probe` (plain callables, `METHODS`).
- `scales`: `measure_scales`, the typical token norm steering strengths are given in.
- `extract`: `extract`, a `SteeringVector` from A/B items.
- `vector`: `SteeringVector` (one direction per layer, safetensors file), `random_like`.
- `steering`: `steer` (forward hooks in a context manager), `generate`.
- `export`: GGUF control vectors and vector files of either kind.
"""
