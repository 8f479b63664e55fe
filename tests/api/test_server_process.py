"""What `policybot serve` sets up in its process before loading the service."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, faiss, numpy, sklearn  # every BLAS library the service loads, loaded before the call
from threadpoolctl import threadpool_info
from bot.api.server import single_threaded_blas
single_threaded_blas()
import os
print(json.dumps({"env": os.environ["OPENBLAS_NUM_THREADS"],
                  "blas": [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]}))
"""


def _probe(**env) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"} | env
    out = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_serving_limits_every_loaded_blas_library_to_one_thread():
    found = _probe()
    assert found["env"] == "1"  # worker processes inherit it
    assert found["blas"] and set(found["blas"]) == {1}


def test_an_operator_setting_wins():
    found = _probe(OPENBLAS_NUM_THREADS="2")
    assert found["env"] == "2" and set(found["blas"]) == {2}
