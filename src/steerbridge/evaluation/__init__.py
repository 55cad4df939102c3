"""Evaluation: A/B sweeps with controls, metrics, free-text scoring, typed results, the report.

- `ab`: `evaluate_behaviour` (native, transferred, random and unsteered conditions), `sweep`.
- `collapse`: conditions whose outputs collapsed (flat or input-independent), left unscored;
  `judgeable`: the test items a verdict needs (the rule's first clause).
- `side_effects`: KL and perplexity of steering on neutral text.
- `metrics`: Δp, retention, odd part, correlations with intervals, KL, perplexity.
- `summary` (`summarize_behaviour`), `results` (`BehaviourSummary`, rows), `headline`.
- `freetext`: generations, VADER tone, the free-text pass rule (moved counts, verdicts).
- `formatting`, `plots`, `report`: numbers as text, figures, report.html / report.md.
- `method_eval`: transfer methods beside random target and random source controls;
  `verdicts`: the one verdict rule (transfers / partly / fails / not judgeable), used by the
  pipeline's results and report and by `method_eval`.
- `pair_transfer`: fitted layer pairs ranked by A/B transfer beside random controls
  (`steerbridge pairs --by transfer`); `pair_transfer_report`: its CSV, JSON and plot.
"""
