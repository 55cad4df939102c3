"""Evaluation: A/B sweeps with controls, metrics, free-text scoring, the report.

`method_eval` compares transfer methods beside random target and random source controls;
`verdicts` holds the one-line verdict rule (transfers / partly / fails / not judgeable).
"""
