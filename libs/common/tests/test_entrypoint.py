"""The web command: a front when one is named, else gunicorn on its bind. A gevent worker's connection cap
follows the open-file limit, raised to its hard limit first; a setting given wins; a gthread worker
keeps gunicorn's own."""

import subprocess
import sys

from permitto_common.entrypoint import FDS_PER_CONNECTION, FDS_SPARE, MAX_GEVENT_CONNECTIONS, command_for

# PROMETHEUS_MULTIPROC_DIR given: without it the command makes a folder and sets it in the process's
# environment, which would turn this test worker's later metrics to multiprocess mode.
WEB_ENV = {"FLASK_APP": "sample:create_app", "PROMETHEUS_MULTIPROC_DIR": "/unused"}


def cap(env):
    command = command_for("web", {**WEB_ENV, **env})
    return int(command[command.index("--worker-connections") + 1])


def gevent_cap_in_child(soft: int, hard: int | None = None) -> tuple[int, int, int]:
    """In a child whose open-file limits are lowered first: the gevent cap, and the soft and hard limits
    after the command was made (the limits are the process's, so never changed in this one)."""
    script = f"""
import resource
from permitto_common.entrypoint import command_for
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1] if {hard!r} is None else {hard!r}
resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, hard))
command = command_for("web", {{**{WEB_ENV!r}, "GUNICORN_WORKER_CLASS": "gevent"}})
print(command[command.index("--worker-connections") + 1], *resource.getrlimit(resource.RLIMIT_NOFILE))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    connections, soft_after, hard_after = (int(x) for x in out.split())
    return connections, soft_after, hard_after


def test_a_given_cap_wins_and_gthread_keeps_gunicorns_own():
    assert cap({"GUNICORN_WORKER_CLASS": "gevent", "GUNICORN_WORKER_CONNECTIONS": "1234"}) == 1234
    assert cap({}) == 1000


def test_a_gevent_workers_cap_follows_the_open_file_limit_raised_to_the_hard_one():
    connections, soft, hard = gevent_cap_in_child(300)
    assert soft == hard or hard == -1  # raised (an unlimited hard limit is raised to the kernel's ceiling)
    assert connections == max(100, min(MAX_GEVENT_CONNECTIONS, (soft - FDS_SPARE) // FDS_PER_CONNECTION))
    assert connections > (300 - FDS_SPARE) // FDS_PER_CONNECTION  # not what the lowered limit allowed


def test_a_limit_that_cannot_be_raised_gives_what_it_allows():
    # The hard limit lowered too: nothing to raise to, so the cap is what 1,024 descriptors hold.
    connections, soft, _ = gevent_cap_in_child(1024, 1024)
    assert soft == 1024
    assert connections == (1024 - FDS_SPARE) // FDS_PER_CONNECTION


def test_a_front_takes_the_port_and_gunicorn_takes_the_bind_it_is_given():
    assert command_for("web", {**WEB_ENV, "WEB_FRONT": "permitto_gateway.front"}) == [
        sys.executable, "-m", "permitto_gateway.front"]
    plain = command_for("web", {**WEB_ENV, "PORT": "8123", "BIND_HOST": "127.0.0.1"})
    assert plain[plain.index("--bind") + 1] == "127.0.0.1:8123"
    behind = command_for("web", {**WEB_ENV, "WEB_FRONT": "", "GUNICORN_BIND": "unix:/tmp/g.sock", "PORT": "8123"})
    assert behind[behind.index("--bind") + 1] == "unix:/tmp/g.sock"
