"""The web command's connection cap: a gevent worker's follows the open-file limit, raised to its hard
limit first; a setting given wins; a gthread worker keeps gunicorn's own."""

import subprocess
import sys

from permitto_common.entrypoint import FDS_PER_CONNECTION, FDS_SPARE, MAX_GEVENT_CONNECTIONS, command_for


def cap(env):
    # PROMETHEUS_MULTIPROC_DIR given: without it the command sets one in this process's environment,
    # which would turn the later tests' metrics to multiprocess mode.
    command = command_for("web", {"FLASK_APP": "sample:create_app", "PROMETHEUS_MULTIPROC_DIR": "/unused", **env})
    return int(command[command.index("--worker-connections") + 1])


def test_a_given_cap_wins_and_gthread_keeps_gunicorns_own():
    assert cap({"GUNICORN_WORKER_CLASS": "gevent", "GUNICORN_WORKER_CONNECTIONS": "1234"}) == 1234
    assert cap({}) == 1000


def test_a_gevent_workers_cap_follows_the_open_file_limit_raised_to_the_hard_one():
    # In a child whose soft limit is lowered first: the command raises it back to the hard limit.
    script = """
import resource, sys
from permitto_common.entrypoint import command_for
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), hard))
command = command_for("web", {"FLASK_APP": "sample:create_app", "GUNICORN_WORKER_CLASS": "gevent"})
print(command[command.index("--worker-connections") + 1], resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard)
"""
    out = subprocess.run([sys.executable, "-c", script, "300"], capture_output=True, text=True, check=True).stdout
    connections, soft, hard = (int(x) for x in out.split())
    assert soft == hard or hard == -1  # raised (an unlimited hard limit is raised to the kernel's ceiling)
    assert connections == max(100, min(MAX_GEVENT_CONNECTIONS, (soft - FDS_SPARE) // FDS_PER_CONNECTION))
    assert connections > (300 - FDS_SPARE) // FDS_PER_CONNECTION  # not what the lowered limit allowed


def test_a_limit_that_cannot_be_raised_gives_what_it_allows():
    # The hard limit lowered too: nothing to raise to, so the cap is what 1,024 descriptors hold.
    script = """
import resource
from permitto_common.entrypoint import command_for
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
command = command_for("web", {"FLASK_APP": "sample:create_app", "GUNICORN_WORKER_CLASS": "gevent"})
print(command[command.index("--worker-connections") + 1])
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert int(out) == (1024 - FDS_SPARE) // FDS_PER_CONNECTION
