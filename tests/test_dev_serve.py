"""`dev.py serve` stops its worker and web server (and their own children) when it gets SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Two stand-ins for the worker and runserver; the first starts a child of its own, as runserver's reloader does.
SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import dev
parent = "import subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); print('grandchild', c.pid, flush=True); time.sleep(120)"
dev.supervise([[sys.executable, "-c", parent], [sys.executable, "-c", "import time; time.sleep(120)"]])
print("supervisor done", flush=True)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state  # a zombie waiting for its parent is already dead


@pytest.mark.skipif(
    os.name == "nt" or not Path("/proc").exists(), reason="needs POSIX process groups and /proc"
)
def test_sigterm_stops_every_child():
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    pids = []
    deadline = time.monotonic() + 20
    while len(pids) < 3 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(("started pid", "grandchild")):
            pids.append(
                int(line.split()[2].rstrip(":")) if line.startswith("started") else int(line.split()[1])
            )
    assert len(pids) == 3 and all(alive(p) for p in pids)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert "supervisor done" in out
    time.sleep(0.2)
    assert [p for p in pids if alive(p)] == []
