"""Steering vectors: A/B datasets, answer-state readout, extraction, steering hooks, file I/O."""
