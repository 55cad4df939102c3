"""Bridges: affine maps between two models' hidden states, and carrying vectors across them.

- `documents` (`Document`, `Corpus`), `builtin_corpus`, `corpus` (`load_corpus`, `tokenize`
  into `Windows`, `check_tokenizers`).
- `collection`: both models once over the windows into cached `PairStats` (`pairstats`).
- `distributed`: torchrun ranks (`Shard`), sharded collection merged by ``all_reduce``.
- `moments`: `Moments`, additive float64 sums.
- `fits` (ridge, procrustes, lowrank, sgd), `scoring` (held-out metrics and baselines).
- `affine`: `Bridge` (fit, call, save / load, transfer); `bridge_file`: reading a bridge file,
  every field checked; `fitting`: `fit_bridge`, `describe`.
- `anchors`: answer-state differences added to a fit.
- `pairs` (screen every layer pair, fit the best), `pair_report` (table, heatmap).
- `transfer`: a steering vector through a bridge (``W·v``).
"""
