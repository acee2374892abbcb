"""The smoke tests CI runs on the images it built (infra/scripts/smoke.py) hold on the running system:
a process with only the standard library, as on the runner, against the gateway."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "infra" / "scripts" / "smoke.py"


def test_the_smoke_tests_pass_on_a_running_system_and_fail_on_a_wrong_version(gateway):
    passed = subprocess.run([sys.executable, "-I", str(SCRIPT), "--url", gateway, "--version", "dev"],
                            capture_output=True, text=True, timeout=120)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.count("ok  ") == 7
    wrong = subprocess.run([sys.executable, "-I", str(SCRIPT), "--url", gateway, "--version", "0123abc"],
                           capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2  # alive and ready, but not on the version a deploy waits for
    assert "FAIL alive, running this version" in wrong.stdout
