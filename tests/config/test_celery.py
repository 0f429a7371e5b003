"""A job worker keeps its database connection from task to task (CELERY_DB_REUSE_MAX), judged
between tasks as Django judges it between requests (config/celery.py)."""

import time

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from config.celery import app
from jobs.tasks import read_job_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_fixup(settings):
    """Celery's Django fixup as a worker installs it (its handlers on the task signals)."""
    if connection.vendor == "sqlite":
        pytest.skip("Django never closes the in-memory SQLite test database: set DATABASE_URL (PostgreSQL).")
    fixup = DjangoWorkerFixup(app)
    task_prerun.connect(fixup.on_task_prerun)
    task_postrun.connect(fixup.on_task_postrun)
    yield fixup
    task_prerun.disconnect(fixup.on_task_prerun)
    task_postrun.disconnect(fixup.on_task_postrun)


def between_two_tasks() -> None:
    """The signals a worker sends when one task ends and the next begins."""
    task_postrun.send(sender=read_job_task, task_id="one", task=read_job_task, args=(), kwargs={}, retval=None, state="SUCCESS")
    task_prerun.send(sender=read_job_task, task_id="two", task=read_job_task, args=(), kwargs={})


def fresh_connection():
    """A connection opened now: one left by an earlier test may be past its age or broken."""
    connection.close()
    connection.ensure_connection()
    return connection.connection


def test_a_healthy_connection_is_kept_from_one_task_to_the_next(worker_fixup):
    opened = fresh_connection()
    between_two_tasks()
    assert connection.connection is opened


def test_a_connection_past_its_age_is_closed_between_tasks(worker_fixup):
    fresh_connection()
    connection.close_at = time.monotonic() - 1  # older than DB_CONN_MAX_AGE
    between_two_tasks()
    assert connection.connection is None


def test_without_a_reuse_limit_celery_would_close_it_after_every_task(settings):
    """Why CELERY_DB_REUSE_MAX is set: Celery's own default opens a connection a task."""
    if connection.vendor == "sqlite":
        pytest.skip("Django never closes the in-memory SQLite test database: set DATABASE_URL (PostgreSQL).")
    settings.CELERY_DB_REUSE_MAX = None
    fixup = DjangoWorkerFixup(app)
    fresh_connection()
    fixup.on_task_postrun(sender=read_job_task)
    assert connection.connection is None

