"""Evaluation: the eval question set (evalset.py), scoring (metrics.py), the runner that asks every
question of each system (runner.py) and the HTML report (report.py)."""

from bot.evaluation.evalset import EvalQuestion, load_evalset
from bot.evaluation.metrics import METRICS
from bot.evaluation.runner import run_evaluation

__all__ = ["METRICS", "EvalQuestion", "load_evalset", "run_evaluation"]
