"""gunicorn settings for the web processes: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every request is CPU work in Python with a few short waits on PostgreSQL, so: processes for the cores, and a
few threads per process to use the cores while one request waits for the database (measured in
docs/benchmarks.md, "Load test"). Override with the environment: WEB_CONCURRENCY (processes, default
2 × cores), GUNICORN_THREADS (default 2), GUNICORN_BIND (default 0.0.0.0:8000), GUNICORN_TIMEOUT (30 s).
Each thread holds one persistent database connection (CONN_MAX_AGE), and a process that has served a
dashboard or a compliance page up to LIANHU_QUERY_THREADS more (grids.beside, default 2): processes ×
(threads + 2) connections per machine, to count against PostgreSQL's max_connections.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# gthread keeps client connections open (keep-alive) and runs `threads` requests per process at once;
# with threads = 1 it behaves like the sync worker.
worker_class = "gthread"
keepalive = 5
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Import Django once in the master, then fork: faster start, pages shared between workers.
preload_app = True
# Recycle a process now and then (bounded memory growth), not all at once.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
