"""Answer quality of the full system on the test split stays above the recorded floors."""

from __future__ import annotations

import pytest
import yaml

from bot.settings import PROJECT_ROOT, get_settings

FLOORS_FILE = PROJECT_ROOT / "eval" / "floors.yaml"

@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(FLOORS_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def metrics(spec, policy_bot):
    from bot.evaluation.runner import run_evaluation

    results = run_evaluation(get_settings(), split=spec["split"], systems=(spec["system"],), bot=policy_bot)
    assert results["n"] > 100
    return results["systems"][spec["system"]]


def test_floors_name_known_metrics(spec):
    from bot.evaluation.metrics import METRICS

    assert set(spec["floors"]) | set(spec.get("ceilings") or {}) <= set(METRICS)


def test_floors(spec, metrics):
    below = {m: (metrics[m], floor) for m, floor in spec["floors"].items() if metrics[m] is None or metrics[m] < floor}
    assert below == {}, f"metric (measured, floor): {below}"


def test_ceilings(spec, metrics):
    above = {m: (metrics[m], cap) for m, cap in (spec.get("ceilings") or {}).items() if metrics[m] is None or metrics[m] > cap}
    assert above == {}, f"metric (measured, ceiling): {above}"
