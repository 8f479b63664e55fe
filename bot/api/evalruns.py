"""Background evaluation runs for the admin: one at a time, reports written under settings.report_dir."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import Conflict
from bot.settings import Settings

log = logging.getLogger("policybot.api")

# Same format as the report directories bot.evaluation.report writes, so a run id names its report.
_STAMP = "%Y-%m-%dT%H%M%SZ"
MAX_LISTED = 50


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(ts: datetime) -> str:
    return ts.isoformat(timespec="seconds").replace("+00:00", "Z")


def _summary(results: dict) -> dict:
    from bot.evaluation.report import HEADLINE

    return {
        "split": results.get("split"),
        "n": results.get("n"),
        "systems": {s: {m: metrics.get(m) for m in HEADLINE} for s, metrics in results.get("systems", {}).items()},
    }


class EvalRuns:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._runs: dict[str, dict] = {}  # runs started by this process
        self._thread: threading.Thread | None = None

    def start(self, service, split: str = "all") -> dict:
        """Start a run in a background thread; Conflict while another run is still going."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise Conflict("已有评测在运行 / an evaluation is already running")
            started = _now()
            run_id = started.strftime(_STAMP)
            while run_id in self._runs or (Path(self.settings.report_dir) / run_id).exists():
                run_id = f"{started.strftime(_STAMP)}-{len(self._runs) + 1}"
            run = {"id": run_id, "status": "running", "started": _iso(started), "finished": None, "summary": None}
            self._runs[run_id] = run
            self._thread = threading.Thread(
                target=self._run, args=(run, service, split, started), name=f"eval-{run_id}", daemon=True
            )
            self._thread.start()
            return dict(run)

    def _run(self, run: dict, service, split: str, started: datetime) -> None:
        from bot.evaluation.report import write_report
        from bot.evaluation.runner import run_evaluation

        try:
            results = run_evaluation(self.settings, split=split, bot=service)
            report = write_report(Path(self.settings.report_dir), results, now=started)
            run.update(report=report.parent.name, summary=_summary(results), status="done")
        except Exception as exc:  # reported in the run list; the server keeps serving
            log.exception("evaluation run %s failed", run["id"])
            run.update(status="failed", error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        finally:
            run["finished"] = _iso(_now())

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def list(self) -> list[dict]:
        """This process's runs, plus finished reports found on disk (e.g. from `policybot eval --report`)."""
        with self._lock:
            runs = {r["id"]: {k: v for k, v in r.items() if k != "report"} for r in self._runs.values()}
            reported = {r.get("report") for r in self._runs.values()}
        root = Path(self.settings.report_dir)
        dirs = sorted((p for p in root.glob("*/results.json")), reverse=True)[:MAX_LISTED] if root.is_dir() else []
        for results_path in dirs:
            name = results_path.parent.name
            if name in runs or name in reported:
                continue
            try:
                results = json.loads(results_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue  # a report being written right now, or damaged: leave it out
            runs[name] = {"id": name, "status": "done", "started": results.get("timestamp", name), "finished": None,
                          "summary": _summary(results)}
        return sorted(runs.values(), key=lambda r: r["id"], reverse=True)[:MAX_LISTED]

    def report_path(self, run_id: str) -> Path | None:
        """The report of a run id (ours or a directory name under report_dir); None if there is none."""
        with self._lock:
            run = self._runs.get(run_id)
        name = run.get("report") if run else run_id
        if not name:
            return None
        root = Path(self.settings.report_dir).resolve()
        path = (root / name / "index.html").resolve()
        # The route allows only [0-9A-Za-z_-] in ids; this keeps any other caller inside report_dir too.
        if root not in path.parents or not path.is_file():
            return None
        return path
