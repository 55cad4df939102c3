"""Models: load a model and tokenizer, batch tokens, read hidden states; the offline zoo.

- `loading`: `load` (alias, HF directory, GGUF, cached hub id), `LoadedModel`, decoder blocks.
- `dtypes`: what ``dtype="auto"`` picks here; GGUF support check.
- `devices`: ``--device`` resolution, where float64 sums go, per-block devices under a device
  map, the attention kernel per architecture.
- `batching`: `pad_batch`, `pad_id`, `position_ids_from_mask` (the only padding code),
  `plan_batches` (windows or a token budget per forward).
- `hidden_states`: `hidden_states_at` (early exit), `collect` / `iter_batches` over windows.
- `layers`: `parse_layers` for layer lists typed by people.
- `replay`: run only the blocks after a layer (replay a cached block output).
- `continuations`: log-probabilities of several continuations per prompt, the prompt run once
  (its KV cache shared), replayable like `replay`.
- `tiny`: tiny random models and tokenizer for tests.
- `zoo` (find, check, install), `zoo_entries` (the table), `gguf_build` (chunks -> GGUF -> HF).
"""
