"""Bridges: affine maps between two models' hidden states, and carrying vectors across them.

- `documents` (`Document`, `Corpus`), `builtin_corpus` (``builtin``, ``builtin-docs``,
  ``builtin-text``), `written_corpus` (the prose, dialogue and A/B questions written for it),
  `corpus` (`load_corpus`, `tokenize` into `Windows`, `check_tokenizers`).
- `collection`: both models once over the windows into cached `PairStats` (`pairstats`).
- `distributed`: torchrun ranks (`Shard`), sharded collection merged by ``all_reduce``.
- `moments`: `Moments`, additive float64 sums.
- `fits` (ridge, procrustes, lowrank, sgd), `scoring` (held-out metrics and baselines),
  `ood` (a fitted bridge scored on any text, beside its held-out figure).
- `affine`: `Bridge` (fit, call, save / load, transfer); `bridge_file`: reading a bridge file,
  every field checked; `fitting`: `fit_bridge`, `describe`.
- `anchors`: answer-state differences added to a fit.
- `pairs` (screen every layer pair, fit the best), `pair_report` (table, heatmap).
- `transfer`: a steering vector through a bridge (``W·v``).
- Label-free transfer methods (issue 11): `method_inputs` (`TransferInputs`: all a method may
  see), `probes` (probe gradients), `effect` (effect-matched map on gradient pairs, state bridge
  as prior), `effect_bridge` (that map as a bridge file, `fit_effect_bridge`), `distill`
  (distilled vector), `methods` (`METHODS`, `apply`: state / effect-matched / blend /
  distilled, random source control), `select` (choose a candidate by the source's own effect).
"""
