"""The Celery app. Broker: Redis when REDIS_URL is set, a filesystem broker otherwise (see settings.base)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("lianhu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
