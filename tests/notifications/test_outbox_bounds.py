"""A hung broker (accepts connections, never answers) must not slow a save: `enqueue` gives up within about a
second whatever the broker transport settings say (notifications/outbox.py). No Redis server needed: the "broker" is
a TCP listener in a thread of this test."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from config.celery import app as celery_app
from notifications.outbox import enqueue
from notifications.tasks import outbox_process_task

# What config/settings/base.py gives a Redis broker: a 5 s socket timeout (the worker's blocking reads need it).
SETTINGS_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


@contextlib.contextmanager
def hung_broker():
    """(port, accepted sockets) of a listener on 127.0.0.1 that accepts every connection and never answers."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)  # kept open, never read from nor written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], held
    finally:
        stop.set()
        thread.join(2)
        server.close()
        for conn in held:
            conn.close()


@contextlib.contextmanager
def broker(url: str, options: dict):
    conf = celery_app.conf
    old = (conf.broker_url, conf.broker_transport_options)
    conf.broker_url, conf.broker_transport_options = url, options
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options = old
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


def test_enqueue_to_a_broker_that_accepts_and_never_answers_gives_up_within_a_second():
    with hung_broker() as (port, held), broker(f"redis://127.0.0.1:{port}/5", SETTINGS_TRANSPORT_OPTIONS):
        for _ in range(2):  # the first call and one with whatever the first left behind
            started = time.monotonic()
            accepted = enqueue(outbox_process_task, 1)
            elapsed = time.monotonic() - started
            assert accepted is False
            # About a second when the machine is idle (2.7 s seen with the two cores overloaded); without
            # enqueue's own bound the settings' 5 s socket timeout would apply, at least once per call.
            assert elapsed < 4, f"enqueue waited {elapsed:.2f}s on a hung broker"
        assert held, "the listener was never reached: the test would prove nothing"
