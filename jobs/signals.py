"""A job's stored files go with its row, however the row goes: the account deleted
(DELETE /api/account/ cascades to its jobs), a developer or a job deleted in the admin."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from jobs import storage
from jobs.models import ReadJob


@receiver(post_delete, sender=ReadJob, dispatch_uid="jobs.delete_stored_files")
def delete_stored_files(sender, instance: ReadJob, **kwargs) -> None:
    # After the commit: a deletion rolled back keeps its files. A task still storing a part
    # meanwhile finds its job gone and deletes the job's folder itself (services.record_parts).
    job_id = instance.id
    transaction.on_commit(lambda: storage.delete_job_folder(job_id))
