"""The server under test: spawned as a subprocess on 127.0.0.1, timed to /readyz, its memory read from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the parent id follows the state field.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            kids.append(int(entry))
    return kids


def rss_bytes(pid: int) -> int:
    """VmRSS of the process and all its descendants."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
        stack.extend(_children(p))
    return total


def busy_jiffies() -> int:
    """CPU time (clock ticks) all processes spent busy, from the first line of /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # minus idle and iowait


def process_jiffies(pid: int) -> int:
    """user + system clock ticks of one process (threads included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


class CpuShare:
    """How much of the machine other processes took during a measurement: noise the bench cannot remove."""

    def __init__(self, *pids: int):
        self.pids = (os.getpid(), *pids)
        self.tick = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> "CpuShare":
        self._busy, self._own, self._t = busy_jiffies(), sum(map(process_jiffies, self.pids)), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        elapsed = time.perf_counter() - self._t
        busy = busy_jiffies() - self._busy
        own = sum(map(process_jiffies, self.pids)) - self._own
        capacity = elapsed * self.tick * (os.cpu_count() or 1)
        self.other_pct = round(max(0, busy - own) / capacity * 100, 1) if capacity else 0.0
        self.own_pct = round(own / capacity * 100, 1) if capacity else 0.0


class Server:
    """`policybot serve` (or another command serving the same app) in its own process group."""

    def __init__(self, project_root: Path, command: list[str] | None = None, extra_env: dict | None = None):
        self.project_root = project_root
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.tmp = tempfile.TemporaryDirectory(prefix="policybot-bench-")
        self.log_path = Path(self.tmp.name) / "server.log"
        bin_dir = Path(sys.executable).parent
        self.command = command or [str(bin_dir / "policybot"), "serve", "--host", HOST, "--port", str(self.port)]
        self.env = {
            **os.environ,
            "POLICYBOT_LOG_URL": str(Path(self.tmp.name) / "questions.sqlite3"),
            "POLICYBOT_ADMIN_TOKEN": "",
            "POLICYBOT_RATE_LIMIT_PER_MINUTE": "100000000",
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.ready_seconds: float | None = None

    def start(self, timeout: float = 120.0) -> float:
        """Spawn and wait for /readyz 200; returns seconds from spawn to ready."""
        log = open(self.log_path, "wb")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.command, cwd=self.project_root, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        with httpx.Client(timeout=2.0) as client:
            while time.perf_counter() - started < timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    if client.get(f"{self.base_url}/readyz").status_code == 200:
                        self.ready_seconds = time.perf_counter() - started
                        return self.ready_seconds
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.tmp.cleanup()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
