"""The Celery tasks of the jobs: small, taking ids, their state in the database (jobs/services.py).

Every task is acknowledged when it ends (CELERY_TASK_ACKS_LATE): a worker killed in the middle
leaves its task to be delivered again to another worker once the broker's visibility timeout
passes, and the services make a second run harmless.
"""

import logging

from celery import shared_task
from django.conf import settings

from jobs import services
from jobs.webhooks import CallbackFailed

logger = logging.getLogger(__name__)

WEBHOOK_FIRST_RETRY_SECONDS = 10
WEBHOOK_LONGEST_WAIT_SECONDS = 600


@shared_task
def plan_read_job(job_id: str) -> None:
    services.job_plan(job_id=job_id)


@shared_task(bind=True)
def read_job_task(self, job_id: str, task_index: int) -> None:
    try:
        services.job_read_task(job_id=job_id, task_index=task_index)
    except Exception:  # any failure of ours counts as an attempt: delivered again, then the job fails
        logger.exception("Job %s task %s failed; it will be tried again", job_id, task_index)
        # The task's attempts are counted in the database: past MAX_ATTEMPTS the job fails.
        raise self.retry(countdown=1, max_retries=None) from None


@shared_task(bind=True, max_retries=settings.JOB_WEBHOOK_MAX_RETRIES)
def deliver_job_callback(self, job_id: str) -> None:
    """Retried with exponential backoff: 10 s, 20 s, ... up to 10 min between tries, ~1 hour in all."""
    try:
        services.job_callback_deliver(job_id=job_id)
    except CallbackFailed as exc:
        wait = min(WEBHOOK_FIRST_RETRY_SECONDS * 2**self.request.retries, WEBHOOK_LONGEST_WAIT_SECONDS)
        logger.info("Callback of job %s failed (%s); next try in %s s", job_id, exc, wait)
        raise self.retry(countdown=wait) from None


@shared_task
def expire_read_jobs() -> None:
    """Beat's periodic sweep: expired results, and uploads that no job owns."""
    services.jobs_expire()
    services.orphan_uploads_delete()
