"""Load test (not a test): members post contacts through the API at a fixed concurrency, with locust.

Needs the `bench` extra (`pip install -e .[bench]`: locust 2.47.0) and a database with the demo town and its
links (e.g. scripts/bench_city.py's databases). Three steps:

    export DATABASE_URL=postgres://root@127.0.0.1:5432/lianhu_city_town
    # 1. logins and sessions for N members with household links, written to a JSON file
    .venv/bin/python scripts/load_contacts.py prepare --users 32 --out /tmp/load_users.json
    # 2. the web server, and locust at fixed concurrency (-u users, all started at once) for 60 s
    DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/gunicorn config.wsgi --workers 4 --bind 127.0.0.1:8011 &
    LOAD_USERS=/tmp/load_users.json LOAD_SENT=/tmp/load_sent.txt .venv/bin/locust -f scripts/load_contacts.py \\
        --headless -u 16 -r 16 -t 60s --host http://127.0.0.1:8011 --only-summary
    # 3. exactly one contact per request: every client id answered 201 is stored once, nothing else was
    .venv/bin/python scripts/load_contacts.py check --sent /tmp/load_sent.txt

Or all of it in one command (gunicorn with config/gunicorn.conf.py on port 8011, then locust, then the check;
prints contacts/s, the workers', PostgreSQL's and locust's CPU per request, the verification checks waiting
in the Celery queue and the load average; with --drain, then one Celery worker until that queue is empty;
docs/benchmarks.md):

    .venv/bin/python scripts/load_contacts.py run --users 16 --seconds 60 --workers 4 --threads 2 --drain

Each request is a home visit or an online contact (half each) by the member to one of their households, with
a new client id, dated a few minutes ago; every answered request writes "client_id status" to LOAD_SENT.
"""

from __future__ import annotations

import json
import os
import random
import sys
import uuid
from pathlib import Path

if __name__ != "__main__":  # imported by locust
    import datetime

    from locust import FastHttpUser, constant, events, task

    USERS = json.loads(Path(os.environ.get("LOAD_USERS", "/tmp/load_users.json")).read_text())
    SENT = open(os.environ.get("LOAD_SENT", "/tmp/load_sent.txt"), "a", buffering=1)  # noqa: SIM115
    _next = iter(range(10**9))

    class ContactPoster(FastHttpUser):
        wait_time = constant(0)

        def on_start(self):
            me = USERS[next(_next) % len(USERS)]
            self.households = me["households"]
            self.csrf = me["csrf"]
            self.cookie = f"sessionid={me['session']}; csrftoken={me['csrf']}"

        @task
        def post_contact(self):
            client_id = str(uuid.uuid4())
            when = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=random.randint(1, 600))
            body = {
                "client_id": client_id,
                "kind": random.choice(["home_visit", "online"]),
                "occurred_at": when.isoformat(),
                "duties": ["policy"],
                "summary": "load",
                "household": random.choice(self.households),
            }
            with self.client.post(
                "/api/contacts/",
                json=body,
                headers={"Cookie": self.cookie, "X-CSRFToken": self.csrf, "Referer": self.host},
                name="POST /api/contacts/",
                catch_response=True,
            ) as response:
                SENT.write(f"{client_id} {response.status_code}\n")
                if response.status_code != 201:
                    response.failure(f"{response.status_code} {response.text[:200]}")

    @events.quitting.add_listener
    def _close(environment, **kwargs):
        SENT.close()


def _django():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


def prepare(users: int, out: Path) -> None:
    _django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from members.models import Link, Member

    User = get_user_model()
    members = Member.objects.filter(
        user__isnull=True,
        is_exempt=False,
        pk__in=Link.objects.current().filter(household__isnull=False).values("member_id"),
    ).order_by("pk")[:users]
    rows = []
    for member in members:
        user, _ = User.objects.get_or_create(username=f"load{member.pk}")
        user.set_unusable_password()
        user.save()
        member.user = user
        member.save(update_fields=["user"])
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        # The backend that loads users (axes' backend only checks logins and has no get_user).
        session[BACKEND_SESSION_KEY] = next(
            b for b in settings.AUTHENTICATION_BACKENDS if not b.startswith("axes.")
        )
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        households = list(
            Link.objects.current()
            .filter(member=member, household__isnull=False)
            .values_list("household_id", flat=True)
        )
        rows.append(
            {"session": session.session_key, "csrf": _get_new_csrf_string(), "households": households}
        )
    out.write_text(json.dumps(rows))
    print(f"{len(rows)} members with sessions written to {out}")


def check(sent: Path) -> None:
    _django()
    from visits.models import Contact

    lines = [line.split() for line in sent.read_text().splitlines() if line.strip()]
    ok = [uuid.UUID(cid) for cid, status in lines if status == "201"]
    other = [(cid, status) for cid, status in lines if status != "201"]
    stored = Contact.objects.filter(client_id__in=ok).count()
    print(
        f"requests answered: {len(lines)}; 201: {len(ok)}; other: {len(other)}; contacts stored for them: {stored}"
    )
    failed = [uuid.UUID(cid) for cid, _ in other if _is_uuid(cid)]
    extra = Contact.objects.filter(client_id__in=failed).count()
    print(f"contacts stored for requests not answered 201: {extra}")
    if stored != len(ok) or len(set(ok)) != len(ok) or extra:
        sys.exit("NOT exactly one contact per request")
    print("exactly one contact per successful request, none for the others")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _server_cpu_seconds(master: int) -> float:
    """CPU seconds of gunicorn's workers so far: the live ones, and those already replaced (max_requests
    recycles a worker every ~5,000 requests; the master's cutime/cstime hold what its reaped children used)."""
    try:
        fields = Path(f"/proc/{master}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    reaped = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime
    return _cpu_seconds(_children(master)) + reaped


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def run(users: int, seconds: int, workers: int, threads: int, port: int, drain: bool = False) -> None:
    """prepare, gunicorn (config/gunicorn.conf.py), locust for `seconds`, check; one summary line at the end."""
    import resource
    import signal
    import socket
    import subprocess
    import tempfile
    import time

    root = Path(__file__).resolve().parent.parent
    bin_dir = Path(sys.executable).parent
    tmp = Path(tempfile.mkdtemp(prefix="load_contacts_"))
    logins, sent = tmp / "users.json", tmp / "sent.txt"
    prepare(max(users, 32), logins)
    from visits.models import Contact

    env = {
        **os.environ,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "DATABASE_CONN_MAX_AGE": "600",
    }
    server = subprocess.Popen(
        [bin_dir / "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"], cwd=root, env=env
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)
        before = Contact.objects.count()
        queued_before = _queued()
        load_start = os.getloadavg()
        cpu_start = _server_cpu_seconds(server.pid)
        children_start = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [
                bin_dir / "locust",
                "-f",
                str(Path(__file__).resolve()),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(users),
                "-t",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--only-summary",
                "--stop-timeout",
                "10",
            ],
            cwd=root,
            env={**os.environ, "LOAD_USERS": str(logins), "LOAD_SENT": str(sent)},
            check=False,
        )
        cpu = _server_cpu_seconds(server.pid) - cpu_start
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust_cpu = (children.ru_utime + children.ru_stime) - (
            children_start.ru_utime + children_start.ru_stime
        )
        load_end = os.getloadavg()
        # PostgreSQL's share: the backends serving this database for the web processes (opened during the
        # run and kept for its length, DATABASE_CONN_MAX_AGE below), not this script's own connection.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            pg_cpu = _cpu_seconds([pid for (pid,) in cursor.fetchall()])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    after = Contact.objects.count()
    queued = _queued()
    lines = [line.split() for line in sent.read_text().splitlines() if line.strip()]
    ok = sum(1 for _, status in lines if status == "201")
    check(sent)
    answered = max(len(lines), 1)
    print(
        f"SUMMARY users={users} workers={workers}x{threads} {seconds}s: answered {len(lines)}, 201 {ok}, "
        f"{ok / seconds:.1f} contacts/s, contacts in the database +{after - before}, "
        f"worker CPU {cpu:.1f} s = {1000 * cpu / answered:.1f} ms a request, "
        f"PostgreSQL CPU {pg_cpu:.1f} s = {1000 * pg_cpu / answered:.1f} ms a request, "
        f"locust CPU {locust_cpu:.1f} s = {1000 * locust_cpu / answered:.1f} ms a request, "
        f"verification checks queued {queued_before} -> {queued}, "
        f"load average {load_start[0]:.1f} -> {load_end[0]:.1f}"
    )
    if drain and queued:
        _drain(root)


def _queued() -> int | None:
    """Messages waiting in Celery's default queue (the verification checks the requests sent), or None."""
    from config.celery import app

    try:
        with app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(
                app.conf.task_default_queue, passive=True
            ).message_count
    except Exception:
        return None


def _drain(root: Path) -> None:
    """Run one Celery worker (solo) until the queue is empty: how fast the checks are done in the background."""
    import subprocess
    import time

    from verification.models import Flag

    flags = Flag.objects.count()
    started, start_count = time.monotonic(), _queued()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"drain-{os.getpid()}@%h"],
        cwd=root,
    )
    try:
        while (_queued() or 0) > 0:
            time.sleep(0.5)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(30)
    print(
        f"DRAIN {start_count} checks by one worker in {elapsed:.1f} s ({start_count / elapsed:.0f}/s, "
        f"worker start included); flags +{Flag.objects.count() - flags}"
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--users", type=int, default=32)
    p.add_argument("--out", type=Path, default=Path("/tmp/load_users.json"))
    c = sub.add_parser("check")
    c.add_argument("--sent", type=Path, default=Path("/tmp/load_sent.txt"))
    r = sub.add_parser("run", help="prepare, start gunicorn, run locust, stop gunicorn, check: all in one")
    r.add_argument("--users", type=int, default=16, help="concurrent locust users")
    r.add_argument("--seconds", type=int, default=60)
    r.add_argument("--workers", type=int, default=4, help="gunicorn processes")
    r.add_argument("--threads", type=int, default=2, help="threads per gunicorn process")
    r.add_argument("--port", type=int, default=8011)
    r.add_argument(
        "--drain", action="store_true", help="then run a Celery worker until the verification checks are done"
    )
    args = parser.parse_args()
    if args.cmd == "prepare":
        prepare(args.users, args.out)
    elif args.cmd == "run":
        run(args.users, args.seconds, args.workers, args.threads, args.port, args.drain)
    else:
        check(args.sent)
