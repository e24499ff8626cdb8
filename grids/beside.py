"""One read-only statement run on a second database connection while the request goes on.

A town dashboard's largest statement, the compliance grouping (every household link of the town joined to
four tally periods: 30–40 ms of PostgreSQL inside a city database), depends on nothing the page reads after
it. `beside(fn, …)` starts `fn` on a worker thread of this process, with that thread's own connection, and
returns a handle whose `result()` waits for it: PostgreSQL works on the statement on one core while the
request's thread runs the page's other queries and its Python on the other (docs/benchmarks.md, pass 6).

It runs inline instead, when `result()` is asked for, in the caller's thread and connection, when:

- `LIANHU_QUERY_THREADS` is 0 (the setting; 2 by default),
- the database is not PostgreSQL (the embedded SQLite setup: one file, one writer),
- the caller's connection is inside a transaction (`atomic`): another connection would not see what the
  transaction wrote and would read another snapshot. The test suite runs every test inside one, and so do
  the jobs that write; only a plain request or job, in autocommit, reads beside itself.

`fn` must only read, and take nothing but plain values: a compiled statement and its parameters, not a
queryset (building one touches the request's thread-local state: language, time zone). Each worker thread
keeps its connection as a request would (CONN_MAX_AGE, health checks): `close_old_connections()` before and
after each statement. A forked process (gunicorn with --preload, Celery's prefork pool) starts its own
threads on first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, connections

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_pool_size = 0


class _Later:
    """The inline handle: runs `fn` when the result is asked for (once)."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict) -> None:
        self._call = (fn, args, kwargs)
        self._done = False
        self._value: Any = None

    def result(self) -> Any:
        if not self._done:
            fn, args, kwargs = self._call
            self._value = fn(*args, **kwargs)
            self._done = True
        return self._value


def threads() -> int:
    return max(0, int(getattr(settings, "LIANHU_QUERY_THREADS", 0)))


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_pid, _pool_size
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool_size = threads()
            _pool = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="lianhu-beside")
            _pool_pid = os.getpid()
        return _pool


def _in_worker(fn: Callable, args: tuple, kwargs: dict) -> Any:
    close_old_connections()  # as at a request's start: a connection past its age or broken is replaced
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


def shutdown() -> None:
    """Close every worker thread's connection and stop the threads; the next `beside` starts new ones.

    For the test suite (a test database cannot be dropped while a worker still holds a connection to it) and
    for anything that must let go of its connections. Each worker takes exactly one closing task (they wait
    for each other at a barrier), so every thread closes its own connection.
    """
    global _pool
    with _lock:
        pool, _pool = _pool, None
        if pool is None or _pool_pid != os.getpid():
            return
    n = _pool_size
    barrier = threading.Barrier(n)

    def close() -> None:
        try:
            barrier.wait(timeout=10)
        finally:
            connections.close_all()

    for future in [pool.submit(close) for _ in range(n)]:
        future.exception()  # wait; a broken barrier still closed its own thread's connection
    pool.shutdown(wait=True)


def runs_beside() -> bool:
    """Whether `beside` would run its statement on another connection now."""
    return threads() > 0 and connection.vendor == "postgresql" and not connection.in_atomic_block


def later(fn: Callable, *args, **kwargs) -> _Later:
    """A handle like `beside`'s that runs `fn` inline when its result is asked for."""
    return _Later(fn, args, kwargs)


def beside(fn: Callable, *args, **kwargs) -> Future | _Later:
    """Start `fn(*args, **kwargs)` on a worker thread if it may run there (see the module), else later inline.
    Either way `.result()` gives its value or raises its exception."""
    if not runs_beside():
        return later(fn, *args, **kwargs)
    return _executor().submit(_in_worker, fn, args, kwargs)
