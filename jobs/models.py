"""A read job, its files and the tasks that read them: the state lives here, the broker only
carries task ids, so any worker (or web server) of the fleet sees the same job."""

import uuid

from django.db import models

from developers.models import DeveloperProfile


class ReadJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"
        EXPIRED = "expired"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    profile = models.ForeignKey(DeveloperProfile, on_delete=models.CASCADE, related_name="read_jobs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    options = models.JSONField(help_text="The read options (ReadOptions as JSON).")
    upload_name = models.CharField(max_length=255, help_text="The upload's name in the jobs storage.")
    file_name = models.CharField(max_length=255, help_text="The uploaded file's name: a single file's `name`.")
    # Salt of the new UIDs when anonymizing: every task of the job replaces a UID by the same new one.
    uid_salt = models.CharField(max_length=64)
    callback_url = models.URLField(max_length=2000, blank=True)
    status_url = models.URLField(max_length=2000)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    frames_done = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    planned = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "expires"])]

    def __str__(self):
        return f"{self.id} ({self.status})"


class JobFile(models.Model):
    """One DICOM file of the job (a zip member, or the upload itself), read in one or more parts."""

    job = models.ForeignKey(ReadJob, on_delete=models.CASCADE, related_name="files")
    index = models.PositiveIntegerField()
    name = models.CharField(max_length=1024)
    source = models.CharField(max_length=255, help_text="The file's bytes in the jobs storage.")
    parts_total = models.PositiveIntegerField()
    # [header end, pixel offset, frame length] (frame_reader.NativeFrames) of a long native file
    # read in parts: its later parts read its header and their own frames alone.
    layout = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="job_file_once")]


class JobPart(models.Model):
    """A part of a file that is read: recorded once however often its task runs."""

    file = models.ForeignKey(JobFile, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    frames = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "index"], name="job_part_once")]


class JobTask(models.Model):
    """One task's share of the job: `items` are [file index, part index, frames or null, frame count]."""

    job = models.ForeignKey(ReadJob, on_delete=models.CASCADE, related_name="tasks")
    index = models.PositiveIntegerField()
    items = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    done = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="job_task_once")]
