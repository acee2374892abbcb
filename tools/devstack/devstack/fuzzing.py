"""schemathesis through the gateway, as the API document's test and `make fuzz` run it.

The operations are split between two schemathesis processes of one thread each, run side by side,
rather than one process with two worker threads. On Python 3.11 the ast module counts its recursion
depth in one counter shared by every thread of the interpreter (CPython issue 106905), and hypothesis
parses the source of a strategy's lambdas while schemathesis builds test cases; two threads doing that
at once now and then fail a case with "SystemError: AST constructor recursion depth mismatch", which
schemathesis reports as a runtime error of the run. It happened in CI, on a busy box. Processes share
no interpreter, so they cannot race.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

# Permits and isolation certificates, and everything else: two parts of about the same running time.
_PERMITS = r"^/api/v1/(permits|verify|isolation-certificates)(/|$)"
PARTS = (("permits", ("--include-path-regex", _PERMITS)), ("the rest", ("--exclude-path-regex", _PERMITS)))
# Never fuzzed: ending the run's own session would turn every later case into a 401, and a stream
# never ends (each is tested on its own).
NOT_FUZZED = ("post_auth_logout", "get_notifications_stream")


@dataclass(frozen=True)
class Part:
    name: str
    returncode: int
    output: str

    @property
    def cases(self) -> int:
        return sum(int(n) for n in re.findall(r"(\d+) generated", self.output))

    @property
    def seconds(self) -> float:
        """How long the part ran, by its own summary line ("... in 83.13s")."""
        found = re.findall(r" in ([0-9.]+)s =*$", self.output, re.MULTILINE)
        return float(found[-1]) if found else 0.0

    @property
    def selected(self) -> int:
        found = re.search(r"Selected: (\d+)/", self.output)
        return int(found.group(1)) if found else 0


def run_schemathesis(base: str, token: str, *, client_address: str, phases: str, examples: int, seed: int,
                     timeout: float, options: Sequence[str] = ()) -> list[Part]:
    """Every operation of the gateway's document but NOT_FUZZED, split by PARTS, checked for server
    errors and for answers outside the document; one Part per process, in the order of PARTS."""
    binary = str(Path(sys.executable).with_name("schemathesis"))
    common = [
        "run", base + "/api/v1/openapi.json", "--url", base,
        "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--header", f"Authorization: Bearer {token}", "--header", f"X-Forwarded-For: {client_address}",
        *[arg for operation in NOT_FUZZED for arg in ("--exclude-operation-id", operation)],
        "--phases", phases, "--max-examples", str(examples), "--seed", str(seed),
        "--workers", "1", "--request-timeout", "20", "--no-color", *options,
    ]
    with tempfile.TemporaryDirectory(prefix="permitto-schemathesis-") as work, ExitStack() as logs:
        running = []
        for name, selection in PARTS:
            log = logs.enter_context(Path(work, f"{name.replace(' ', '-')}.log").open("w"))
            process = subprocess.Popen([binary, *common, *selection], stdout=log, stderr=subprocess.STDOUT,
                                       text=True, cwd=work)
            logs.callback(_stop, process)
            running.append((name, process, Path(log.name)))
        parts = [Part(name, process.wait(timeout=timeout), log.read_text()) for name, process, log in running]
    return parts


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:  # the other part failed or ran out of time
        process.kill()
        process.wait()


def what_went_wrong(output: str) -> str:
    """The sections of a schemathesis run that say what failed, then its summary: the warnings it prints
    between them are long enough to push an error's own words out of what a CI log keeps."""
    sections = [output[start.start():start.start() + 6000]
                for start in re.finditer(r"^=+ (ERRORS|FAILURES) =+$", output, re.MULTILINE)]
    summary = output.rfind(" SUMMARY ")
    return "\n".join([*sections, output[summary:][-3000:] if summary >= 0 else output[-6000:]])
