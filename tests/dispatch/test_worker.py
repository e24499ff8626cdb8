"""Against a real Redis and a real Celery worker started here (PostgreSQL: the worker must see the test DB).

- a dispatch order goes through the broker: outbox event → worker → notifications → deliveries sent;
- with the broker unreachable, saving an order still succeeds at once; when Redis is back the sweeper
  re-enqueues the pending event and everything is delivered exactly once, however often it is enqueued.

Run with DATABASE_URL=postgres://... (CI does); skipped with a reason on SQLite or without redis-server.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from dispatch.periods import today
from dispatch.services import order_issue
from notifications.models import Delivery, Notification, OutboxEvent
from notifications.outbox import enqueue, outbox_sweep
from visits.services import contact_record

ROOT = Path(__file__).resolve().parents[2]
# Under pytest-xdist each worker (gw0, gw1, …) has its own Redis database number (flushed by the tests) and
# its own ports for the Redis servers the tests start and stop.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 10
REDIS_DB = 5 + _WORKER
OUTAGE_PORT = 6390 + 2 * _WORKER
SPARE_PORT = 6391 + 2 * _WORKER

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the worker process must share the test database: set DATABASE_URL=postgres://...",
    ),
]


def _port_open(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket()) as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def _wait(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def broker(url: str):
    """Point this process's Celery app at `url` (pools are per URL, so drop the cached ones)."""
    conf = celery_app.conf
    old = (conf.broker_url, conf.broker_transport_options)
    conf.broker_url = url
    conf.broker_transport_options = {
        "socket_connect_timeout": 1,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options = old
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "root"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@contextlib.contextmanager
def worker(broker_url: str):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": _database_url(),
    }
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"jobs-test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def pump():
        for line in proc.stdout:
            lines.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        if not ready.wait(60):
            raise AssertionError("worker did not start:\n" + "".join(lines[-40:]))
        yield lines
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def throwaway_redis(port: int):
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: _port_open("127.0.0.1", port), 10, "redis-server")
        yield f"redis://127.0.0.1:{port}/{REDIS_DB}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def some_redis():
    """The shared Redis (REDIS_URL or 127.0.0.1:6379) on our own database number, else a throwaway one."""
    parsed = urlparse(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    if _port_open(host, port):
        url = f"redis://{host}:{port}/{REDIS_DB}"
        import redis

        redis.Redis.from_url(url).flushdb()
        yield url
    else:
        with throwaway_redis(SPARE_PORT) as url:
            yield url


def _order(town):
    return order_issue(
        user=town.user("town_staff"),
        town=town.town,
        title="防汛排查",
        task="排查山塘",
        due_date=today() + datetime.timedelta(days=2),
        places=[town.village_a, town.grid_a1],
        members=[town.members["member_b"]],
    )


def _finished(log: list[str], task: str) -> list[str]:
    """The return values of the runs of `task` the worker has logged as finished ("Task … succeeded …: value")."""
    pattern = re.compile(rf"Task {re.escape(task)}\[[^\]]+\] succeeded in [0-9.]+s: (.*)$")
    return [m.group(1).strip() for line in list(log) if (m := pattern.search(line.rstrip()))]


def _all_sent(expected: int):
    def check():
        rows = list(Delivery.objects.values_list("status", flat=True))
        return len(rows) == expected and set(rows) == {"sent"}

    return check


def test_a_task_goes_through_redis_and_its_result_lands_in_the_database(town):
    with some_redis() as url, broker(url), worker(url):
        order = _order(town)  # autocommit: on_commit enqueues at once
        event = OutboxEvent.objects.get(topic="dispatch.order_issued")
        _wait(lambda: OutboxEvent.objects.filter(pk=event.pk, status="done").exists(), what="event processed")
        # 3 recipients × (sms + wecom): every delivery sent by the worker through Redis.
        _wait(_all_sent(6), what="deliveries sent")
        assert sorted(Notification.objects.values_list("recipient__name", flat=True)) == [
            "grid_head_a1",
            "member_b",
            "officer_a",
        ]
        assert set(Notification.objects.values_list("link", flat=True)) == {f"/dispatch/orders/{order.pk}/"}


def test_saving_with_redis_down_is_quick_and_work_is_delivered_once_when_it_is_back(town):
    if _port_open("127.0.0.1", OUTAGE_PORT):
        pytest.skip(f"port {OUTAGE_PORT} is in use")
    url = f"redis://127.0.0.1:{OUTAGE_PORT}/{REDIS_DB}"
    with broker(url):
        started = time.monotonic()
        _order(town)
        elapsed = time.monotonic() - started
        assert elapsed < 2.0, f"saving took {elapsed:.2f}s with the broker down"
        event = OutboxEvent.objects.get(topic="dispatch.order_issued")
        assert event.status == "pending"
        assert Notification.objects.count() == 0
        assert outbox_sweep(now=timezone.now() + datetime.timedelta(minutes=1)) == 0  # still down
        # Recording a contact does not touch the broker at all.
        started = time.monotonic()
        contact = contact_record(
            user=town.user("member_a"),
            kind="online",
            occurred_at=timezone.now() - datetime.timedelta(hours=1),
            duties=["policy"],
            household=town.ha1,
        )
        assert contact.pk and time.monotonic() - started < 2.0

        with throwaway_redis(OUTAGE_PORT), worker(url) as log:
            # What beat does every minute; run twice and enqueue once more by hand: still exactly once.
            later = timezone.now() + datetime.timedelta(minutes=1)
            assert outbox_sweep(now=later) == 1
            from notifications.tasks import outbox_process_task

            assert enqueue(outbox_process_task, event.pk)
            _wait(lambda: OutboxEvent.objects.filter(pk=event.pk, status="done").exists(), what="event done")
            _wait(_all_sent(6), what="deliveries sent")
            assert outbox_sweep(now=later) == 0

            # Both messages (the sweeper's and the duplicate) have been run to the end by the worker: one ran
            # the handler (True), the duplicate found the event done and did nothing (False).
            def both_run():
                found = _finished(log, "members.outbox_process")
                return found if len(found) >= 2 else None

            results = _wait(both_run, what="the duplicate consumed")
            assert sorted(results) == ["False", "True"]
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("done", 1)
    assert Notification.objects.count() == 3
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


def test_saving_with_a_hung_broker_waits_under_a_second_and_the_sweeper_delivers_once(town):
    """A broker that accepts connections and never answers (a hung Redis): the save does not wait on it for
    more than about a second; once a broker answers again the sweeper delivers everything exactly once."""
    from tests.notifications.test_outbox_bounds import hung_broker

    with hung_broker() as (port, held), broker(f"redis://127.0.0.1:{port}/{REDIS_DB}"):
        started = time.monotonic()
        order = _order(town)
        elapsed = time.monotonic() - started
        assert held, "the save never reached the hung broker"
    assert elapsed < 1.5, f"saving took {elapsed:.2f}s with a hung broker"
    event = OutboxEvent.objects.get(topic="dispatch.order_issued")
    assert event.status == "pending" and order.pk
    assert Notification.objects.count() == 0

    with some_redis() as url, broker(url), worker(url):
        later = timezone.now() + datetime.timedelta(minutes=1)
        assert outbox_sweep(now=later) == 1
        _wait(lambda: OutboxEvent.objects.filter(pk=event.pk, status="done").exists(), what="event done")
        _wait(_all_sent(6), what="deliveries sent")
        assert outbox_sweep(now=later) == 0
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("done", 1)
    assert Notification.objects.count() == 3
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
