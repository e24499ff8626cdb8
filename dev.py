#!/usr/bin/env python3
"""Set up and run Lianhu with nothing but Python 3.11+.

    python3 dev.py serve   # venv, install, migrate, demo town (first time), web + background worker
    python3 dev.py test    # venv, install with test extras, ruff, makemigrations --check, the whole test suite

With no environment variables everything is embedded: a SQLite file under var/ and a Celery broker on the
filesystem (no Redis server). Set DATABASE_URL / REDIS_URL to use PostgreSQL / Redis instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*args: str | Path, env: dict | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env=env)


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py itself may be started by an older python3
        sys.exit("Lianhu needs Python 3.11 or newer")
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    pyproject = ROOT / "pyproject.toml"
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        target = f".[{extras}]" if extras else "."
        run(PY, "-m", "pip", "install", "--quiet", "-e", target)
        stamp.touch()


def serve() -> None:
    ensure_venv("")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
    }
    run(PY, "manage.py", "migrate", "--noinput", env=env)
    run(
        PY,
        "manage.py",
        "demo_town",
        "--if-empty",
        "--password-file",
        ROOT / "var" / "demo-logins.txt",
        env=env,
    )
    run(PY, "manage.py", "demo_activity", "--if-empty", env=env)
    run(PY, "manage.py", "demo_verification", "--if-empty", env=env)
    run(PY, "manage.py", "demo_pairing", "--if-empty", env=env)
    run(PY, "manage.py", "demo_activities", "--if-empty", env=env)
    worker = [
        str(PY),
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-B",
        "--pool=solo",
        "--loglevel=INFO",
        "--schedule",
        str(ROOT / "var" / "celerybeat-schedule"),
    ]
    web = [str(PY), "manage.py", "runserver", "127.0.0.1:8000"]
    print("web at http://127.0.0.1:8000", flush=True)
    supervise([worker, web], env=env)


class Stop(Exception):
    """SIGTERM / SIGHUP to dev.py: stop the children, then exit."""


def _raise_stop(signum, frame):
    raise Stop(signum)


def _stop_child(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM to the child's whole process group (runserver's reloader child, celery's beat), then SIGKILL."""
    if proc.poll() is None:
        try:
            if os.name == "nt":
                proc.terminate()
            else:
                os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        if os.name == "nt":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def supervise(commands: list[list[str]], *, env: dict | None = None) -> int:
    """Run the commands side by side until the last one ends, Ctrl+C, or SIGTERM/SIGHUP; then stop them all.

    Each child gets its own process group so that its own children (runserver's autoreloader child, celery
    beat) are stopped with it.
    """
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            previous[name] = signal.signal(getattr(signal, name), _raise_stop)
    children: list[subprocess.Popen] = []
    try:
        for command in commands:
            children.append(subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=os.name != "nt"))
            print(f"started pid {children[-1].pid}: {' '.join(command[:4])}", flush=True)
        return children[-1].wait()
    except (KeyboardInterrupt, Stop):
        return 0
    finally:
        for name in previous:
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        for child in reversed(children):
            _stop_child(child)
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def test(pytest_args: list[str]) -> None:
    ensure_venv("test")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    ruff = BIN / "ruff"
    run(ruff, "check", ".", env=env)
    run(ruff, "format", "--check", ".", env=env)
    run(PY, "manage.py", "makemigrations", "--check", "--dry-run", env=env)
    run(BIN / "lint-imports", env=env)  # the layers contract in pyproject.toml
    run(PY, "-m", "pytest", *_parallel(pytest_args), *pytest_args, env=env)


def _parallel(pytest_args: list[str]) -> list[str]:
    """pytest-xdist workers, one per core (at most 4), unless the arguments choose (-n / -p no:xdist) or
    LIANHU_TEST_WORKERS says how many (1: in this process). Each worker has its own test database
    (pytest-django adds the worker's name); `worksteal` lets an idle worker take a busy one's queue, so the
    few long tests (the crawl, schemathesis, the phone pages) do not end the run on one worker."""
    if any(a.startswith(("-n", "--numprocesses")) or a == "no:xdist" for a in pytest_args):
        return []
    workers = int(os.environ.get("LIANHU_TEST_WORKERS") or min(os.cpu_count() or 1, 4))
    return ["-n", str(workers), "--dist", "worksteal"] if workers > 1 else []


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test"}:
        sys.exit(__doc__)
    if sys.argv[1] == "serve":
        serve()
    else:
        try:
            test(sys.argv[2:])
        except subprocess.CalledProcessError as exc:
            sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
