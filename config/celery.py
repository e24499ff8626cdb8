"""The Celery app and the beat schedule (in code, Asia/Shanghai time: CELERY_TIMEZONE, enable_utc off).

Broker: Redis when REDIS_URL is set, a filesystem broker otherwise (see settings.base), so
`python -m celery -A config worker -B --pool=solo` runs every job on a machine with no server at all.
Scheduled jobs go through dispatch.jobs: `dispatch.run_scheduled_job` fans out one `dispatch.run_town_job` per
town (each run recorded as a JobRun per period and town, idempotent and resumable).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("lianhu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

MINUTE = 60.0

app.conf.beat_schedule = {
    # Reliability: re-enqueue what a broker outage left behind, retry failed deliveries with backoff.
    "outbox-sweep": {"task": "members.outbox_sweep", "schedule": MINUTE},
    "deliveries-sweep": {"task": "members.deliveries_sweep", "schedule": MINUTE},
    # Ledger files are kept for a limited time: delete expired ones hourly (the export log rows stay).
    "exports-purge": {"task": "reports.exports_purge", "schedule": 60 * MINUTE},
    # 回访核实: bursts, reused photos, look-alike summaries, month-end rushes (one task per town), at night.
    "verification-patterns": {
        "task": "verification.patterns_nightly",
        "schedule": crontab(minute=40, hour=2),
    },
    # 一单: each member's 每月一走访工作任务清单 on the 1st.
    "monthly-task-lists": {
        "task": "dispatch.run_scheduled_job",
        "schedule": crontab(minute=30, hour=6, day_of_month=1),
        "args": ("task_lists",),
    },
    # Weekly overdue-visit digests (member / grid head / village officer), Monday morning.
    "weekly-overdue-digests": {
        "task": "dispatch.run_scheduled_job",
        "schedule": crontab(minute=0, hour=8, day_of_week=1),
        "args": ("overdue_digests",),
    },
    # 旬调度 on the 1st, 11th and 21st.
    "decade-dispatch": {
        "task": "dispatch.run_scheduled_job",
        "schedule": crontab(minute=0, hour=7, day_of_month="1,11,21"),
        "args": ("decade_dispatch",),
    },
    # Issue deadlines: a day before, on the day, overdue whistles per department.
    "issue-deadlines": {
        "task": "dispatch.run_scheduled_job",
        "schedule": crontab(minute=0, hour=8),
        "args": ("issue_deadlines",),
    },
    # 季讲评 / 年总评: snapshot of the quarter / year just ended, early on its first day after.
    "quarter-review": {
        "task": "dispatch.run_scheduled_job",
        "schedule": crontab(minute=0, hour=2, day_of_month=1, month_of_year="1,4,7,10"),
        "args": ("quarter_review",),
    },
    "year-review": {
        "task": "dispatch.run_scheduled_job",
        "schedule": crontab(minute=15, hour=2, day_of_month=1, month_of_year=1),
        "args": ("year_review",),
    },
    # Per-town compliance snapshots read by the city dashboard and the city's compliance by town: at night for
    # the day's figures, and hourly in working hours so the city pages are at most an hour old (a town's run
    # costs well under a second of a worker; see docs/benchmarks.md, city section).
    "compliance-snapshots-nightly": {
        "task": "dispatch.run_scheduled_job",
        "schedule": crontab(minute=30, hour=1),
        "args": ("compliance_snapshots",),
    },
    "compliance-snapshots-hourly": {
        "task": "dispatch.run_scheduled_job",
        "schedule": crontab(minute=5, hour="8-18"),
        "args": ("compliance_snapshots",),
    },
}
