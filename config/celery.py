"""The Celery app of the job workers: `celery -A config worker` (settings under CELERY_*)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("dicom_api")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def judge_database_connections(**kwargs) -> None:
    """What Django does around each request, around each task: a connection past DB_CONN_MAX_AGE,
    broken, or failing its health check is closed (and opened afresh when next used); a healthy
    one is kept for the next task (settings.CELERY_DB_REUSE_MAX)."""
    close_old_connections()
