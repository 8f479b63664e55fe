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


def measured(metrics: dict, name: str):
    """A headline metric ("top1") or one of a group ("by_style.noisy.top1")."""
    value = metrics
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def test_floors_name_known_metrics(spec):
    from bot.evaluation.evalset import REASONS, STYLES
    from bot.evaluation.metrics import METRICS

    for name in set(spec["floors"]) | set(spec.get("ceilings") or {}):
        parts = name.split(".")
        assert parts[0] in METRICS or (
            len(parts) == 3 and parts[0] == "by_style" and parts[1] in STYLES + REASONS
        ) or (len(parts) == 3 and parts[0] in ("by_kind", "by_wording")), name


def test_floors(spec, metrics):
    below = {m: (measured(metrics, m), f) for m, f in spec["floors"].items() if (measured(metrics, m) or 0) < f}
    assert below == {}, f"metric (measured, floor): {below}"


def test_ceilings(spec, metrics):
    caps = spec.get("ceilings") or {}
    above = {m: (measured(metrics, m), c) for m, c in caps.items() if measured(metrics, m) is None or measured(metrics, m) > c}
    assert above == {}, f"metric (measured, ceiling): {above}"
