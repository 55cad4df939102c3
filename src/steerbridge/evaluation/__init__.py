"""Evaluation: A/B sweeps with controls, metrics, free-text scoring, the report."""
