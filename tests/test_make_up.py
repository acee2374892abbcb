"""`make up` as a developer lives with it: a process that crashes is restarted by itself; a `make up`
killed outright leaves nothing the next one cannot clean up; stopping survives a burst of signals."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from devstack.engines import free_port, process_alive
from devstack.processes import DEFAULT_PORTS
from devstack.stack import REPO_ROOT
from devstack.up import SAME_REQUEST, Signals, StopRequested


class Up:
    """One `python -m devstack.up` in its own folder and ports, its output collected."""

    def __init__(self, var_dir: Path, ports: dict[str, int]) -> None:
        self.var_dir, self.ports = var_dir, ports
        # As a user runs it: its own engines, and the standard hashing of passwords (not the tests' light one).
        env = {key: value for key, value in os.environ.items()
               if key not in ("DATABASE_URL", "REDIS_URL", "PASSWORD_HASHING")}
        env.update({f"PERMITTO_{name.upper()}_PORT": str(port) for name, port in ports.items()})
        env["PERMITTO_VAR_DIR"] = str(var_dir)
        self.proc = subprocess.Popen([sys.executable, "-m", "devstack.up"], cwd=REPO_ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout as stream:
            for raw in iter(stream.readline, b""):
                self.lines.append(raw.decode(errors="replace"))

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"never printed {text!r}:\n{self.output[-5000:]}")
            time.sleep(0.2)

    def recorded(self) -> dict[str, dict[str, object]]:
        return json.loads((self.var_dir / "processes.json").read_text())

    def ready(self, name: str) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.ports[name]}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False


def still_running(recorded: dict[str, dict[str, object]]) -> list[str]:
    return [name for name, entry in recorded.items() if process_alive(int(entry["pid"]), str(entry["marker"]))]


def postgres_running(data_dir: Path) -> bool:
    """Whether the server of this data folder runs: the pid its lock file names is a live postgres."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return process_alive(pid, "postgres")


@pytest.fixture
def ports():
    return {name: free_port() for name in DEFAULT_PORTS}


@pytest.mark.timeout(480)  # two whole make ups, one after a kill -9: on a loaded 2-core box this nears 300 s
def test_crashes_are_restarted_a_dead_make_up_is_cleaned_up_and_stopping_never_hangs(tmp_path, ports):
    first = Up(tmp_path / "var", ports)
    try:
        first.wait_for("Permitto is up")
        # a web process killed outright comes back by itself, and says so
        victim = int(first.recorded()["permits"]["pid"])
        os.kill(victim, signal.SIGKILL)
        first.wait_for("!! permits exited with code -9; restarting it in 1 s (restart 1)", timeout=15)
        first.wait_for(".. permits restarted", timeout=15)
        deadline = time.monotonic() + 60
        while not first.ready("permits"):
            assert time.monotonic() < deadline, first.output[-3000:]
            time.sleep(0.3)
        assert int(first.recorded()["permits"]["pid"]) != victim

        # `make up` itself killed outright: everything it started is left behind, PostgreSQL included
        left = first.recorded()
        os.killpg(first.proc.pid, signal.SIGKILL)
        first.proc.wait(10)
        assert still_running(left)
        assert postgres_running(tmp_path / "var" / "postgres")
    finally:
        if first.proc.poll() is None:
            os.killpg(first.proc.pid, signal.SIGKILL)

    second = Up(tmp_path / "var", ports)
    try:
        second.wait_for("Permitto is up")
        assert "Stopped what an earlier make up left running" in second.output
        assert "Postgres" in second.output
        assert still_running(left) == []
        assert second.ready("gateway")
        mine = second.recorded()

        # Two signals at once (make forwards one, the process group gets another): one clean stop.
        os.kill(second.proc.pid, signal.SIGTERM)
        os.kill(second.proc.pid, signal.SIGTERM)
        assert second.proc.wait(90) == 0, second.output[-3000:]
        assert "Stopped." in second.output
        assert "Traceback" not in second.output.split("Stopping Permitto")[-1]
        assert still_running(mine) == []
        # (its ports are not checked: other systems of the test run may take a port once it is free)
        assert not postgres_running(tmp_path / "var" / "postgres"), second.output[-3000:]  # stopped too
    finally:
        if second.proc.poll() is None:
            os.killpg(second.proc.pid, signal.SIGKILL)


def test_signals_are_one_request_within_a_second_and_a_later_one_hurries_the_stop():
    signals = Signals()
    with pytest.raises(StopRequested):
        signals.handle(signal.SIGTERM, None)  # while starting, the first one unwinds the start
    signals.handle(signal.SIGTERM, None)  # the same request, delivered twice
    assert signals.stopping
    assert not signals.hurried()
    time.sleep(SAME_REQUEST + 0.1)
    signals.handle(signal.SIGINT, None)
    assert signals.hurried()
