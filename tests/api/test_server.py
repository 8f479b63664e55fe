"""Process-level settings of `policybot serve`."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.settings import PROJECT_ROOT


def _run(code: str, env: dict) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_malloc_arenas_are_capped_unless_the_operator_chose():
    code = "from bot.api.server import limit_malloc_arenas; print(limit_malloc_arenas())"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert _run(code, env) == "True"
    assert _run(code, {**env, "MALLOC_ARENA_MAX": "8"}) == "False"
