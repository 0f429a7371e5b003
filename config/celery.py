"""The Celery app of the job workers: `celery -A config worker` (settings under CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("dicom_api")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
