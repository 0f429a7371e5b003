"""Read jobs: submitted by the web servers, planned and read by the workers file by file.

Every step is safe to run again (a task is delivered again after its worker died): a part of a
file is recorded once (JobPart is unique), progress is recomputed from those records, and the
job succeeds only when every part of every file is recorded, never with files missing.
"""

import base64
import json
import logging
import re
import secrets
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from rest_framework.exceptions import NotFound

from common.exceptions import Conflict
from developers.models import DeveloperProfile
from dicom_api.limits import configured_limits
from dicom_core.archive import SkippedMember
from dicom_core.errors import DicomError
from dicom_core.limits import Limits
from dicom_core.options import ReadOptions
from jobs import storage
from jobs.models import JobFile, JobPart, JobTask, ReadJob
from jobs.reading import NativeFrames, job_pixel_budget, plan_files, read_job_part, read_options_from_json, read_options_to_json
from jobs.webhooks import SIGNATURE_HEADER, post_callback, resolve_callback, signature

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 2  # a task delivered a third time (its worker died twice) fails the job
Status = ReadJob.Status


# --- The web side ------------------------------------------------------------------------

def job_create(
    *, job_id, profile: DeveloperProfile, file_name: str, options: ReadOptions, callback_url: str, status_url: str
) -> ReadJob:
    from jobs.tasks import plan_read_job

    job = ReadJob.objects.create(
        id=job_id,
        profile=profile,
        options=read_options_to_json(options),
        upload_name=storage.upload_name(job_id),
        file_name=file_name,
        uid_salt=secrets.token_hex(16),
        callback_url=callback_url,
        status_url=status_url,
    )
    transaction.on_commit(lambda: plan_read_job.delay(str(job.id)))
    return job


def check_callback_url(url: str) -> None:
    """Raises InvalidOptionError (400) for a URL that does not resolve to a public address."""
    resolve_callback(url, allow_loopback=settings.JOB_WEBHOOK_ALLOW_LOOPBACK)


def job_get(*, profile: DeveloperProfile, job_id) -> ReadJob:
    """Another developer's job is answered exactly like one that does not exist."""
    job = ReadJob.objects.filter(profile=profile, id=job_id).first()
    if job is None:
        raise NotFound("No job with this id.")
    return job


def job_list(*, profile: DeveloperProfile):
    return ReadJob.objects.filter(profile=profile).order_by("-created")


def job_cancel(*, job: ReadJob) -> None:
    """A queued or running job is cancelled (its tasks stop at their next file); a finished job
    is deleted (its stored files go with it: jobs/signals.py). Either way its upload and results
    are deleted."""
    cancelled = ReadJob.objects.filter(id=job.id, status__in=ReadJob.ACTIVE).update(
        status=Status.CANCELLED, finished=timezone.now()
    )
    if cancelled:
        storage.delete_job_folder(job.id)
    else:
        job.delete()


def check_succeeded(job: ReadJob) -> None:
    if job.status != Status.SUCCEEDED:
        raise Conflict(f"The job is {job.status}: its results are available once it has succeeded.")


# --- The worker side ---------------------------------------------------------------------

def job_plan(*, job_id: str) -> None:
    """List the upload's files and send the tasks that read them, each as soon as its files are
    stored, so that the other workers read while this one plans. Sent again (the first delivery
    died), it plans again around what was recorded and sends again the tasks that are not done."""
    from jobs.tasks import read_job_task

    ReadJob.objects.filter(id=job_id, status=Status.QUEUED).update(status=Status.RUNNING, started=timezone.now())
    job = ReadJob.objects.filter(id=job_id, status=Status.RUNNING).first()
    if job is None:
        return  # cancelled, finished, or gone

    def send(task_index: int) -> None:
        read_job_task.delay(job_id, task_index)

    if job.planned:  # died after planning, before this task was acknowledged
        for index in JobTask.objects.filter(job_id=job_id, done=False).values_list("index", flat=True):
            send(index)
    else:
        try:
            planned = plan(job, send)
        except DicomError as exc:  # the upload as a whole (not DICOM nor zip, a zip limit), or the job's pixel budget
            job_fail(job_id=job_id, error=exc.message)
            return
        if not planned:
            storage.delete_job_folder(job_id)  # cancelled while planning
            return
    job_finish_if_done(job_id=job_id)  # a zip with nothing to read succeeds at once


def plan(job: ReadJob, send: Callable[[int], None]) -> bool:
    """Store each file on its own and record it; record and send each task once its parts are
    known. The job's pixel budget is charged file by file before a file's task is sent, so a job
    never decodes more than its budget: the file that passes it fails the job here. False when
    the job stopped meanwhile."""
    options = read_options_from_json(job.options)
    limits = job_upload_limits()
    budget = job_pixel_budget(settings.MAX_JOB_DECODED_BYTES, limits.max_decoded_bytes)
    recorded_files = set(JobFile.objects.filter(job=job).values_list("index", flat=True))  # by an earlier delivery
    recorded_tasks = dict(JobTask.objects.filter(job=job).values_list("index", "done"))
    tasks = TaskGrouper(settings.JOB_FILES_PER_TASK, settings.JOB_FRAMES_PER_TASK)
    new_files: list[JobFile] = []
    skipped: list[dict] = []

    def record_task(task: tuple[int, list[list]], files_total: int) -> bool:
        """The task's new files and the task itself, then it is sent (unless an earlier delivery did it all)."""
        index, items = task
        with transaction.atomic():
            # files so far (progress never passes it); the update takes the job's row lock, or finds it stopped
            if not ReadJob.objects.filter(id=job.id, status=Status.RUNNING).update(files_total=files_total):
                return False
            JobFile.objects.bulk_create(new_files)
            if index not in recorded_tasks:
                JobTask.objects.create(job=job, index=index, items=items)
        new_files.clear()
        if not recorded_tasks.get(index, False):
            send(index)
        return True

    files_total = 0
    upload_is_the_file = False
    with storage.job_storage().open(job.upload_name, "rb") as upload:  # a zip read member by member, never whole
        for entry in plan_files(upload, job.file_name, options, limits, settings.JOB_FRAMES_PER_TASK):
            if isinstance(entry, SkippedMember):
                skipped.append({"name": entry.name, "reason": entry.reason})
                continue
            budget.charge(entry.pixel_bytes, name=entry.name, frame_bytes=entry.frame_bytes)
            index = files_total
            files_total += 1
            parts = entry.parts(options, settings.JOB_FRAMES_PER_TASK)
            upload_is_the_file = entry.data is None
            if index not in recorded_files:
                source = job.upload_name if upload_is_the_file else storage.file_name(job.id, index)
                if not upload_is_the_file:
                    storage.put(source, entry.data)
                layout = list(astuple(entry.layout)) if entry.layout is not None else None
                new_files.append(JobFile(job=job, index=index, name=entry.name, source=source, parts_total=len(parts), layout=layout))
            for part_index, frames in enumerate(parts):
                frame_total = len(frames if frames is not None else entry.frames)
                full = tasks.add([index, part_index, list(frames) if frames is not None else None, frame_total])
                if full and not record_task(full, files_total):
                    return False
    rest = tasks.rest()
    if rest and not record_task(rest, files_total):
        return False
    if not ReadJob.objects.filter(id=job.id, status=Status.RUNNING).update(planned=True, files_total=files_total, skipped=skipped):
        return False
    if not upload_is_the_file:
        storage.job_storage().delete(job.upload_name)  # each member is stored on its own now
    return True


def job_upload_limits() -> Limits:
    """The synchronous read's limits, but for a zip's size: a job's zip may hold a whole study
    (JOB_MAX_ZIP_MEMBERS, JOB_MAX_INFLATED_BYTES), each member bounded as a synchronous request's
    whole zip is (MAX_INFLATED_BYTES), since the planner holds one member at a time."""
    limits = configured_limits()
    return replace(
        limits,
        max_zip_members=settings.JOB_MAX_ZIP_MEMBERS,
        max_inflated_bytes=settings.JOB_MAX_INFLATED_BYTES,
        max_member_bytes=limits.max_inflated_bytes,
    )


class TaskGrouper:
    """Parts in file order, a task taking up to `files` parts or `frames` frames: small enough
    that two workers share a job evenly, large enough to be cheap. The same parts always make
    the same tasks, so a plan delivered again finds the tasks it recorded before."""

    def __init__(self, files: int, frames: int):
        self.files, self.frames = files, frames
        self.current: list[list] = []
        self.cost = 0
        self.count = 0  # tasks made so far: the next one's index

    def add(self, item: list) -> tuple[int, list[list]] | None:
        """The task `item` completes (its index and items), or None."""
        self.current.append(item)
        self.cost += max(item[3], 1)
        if len(self.current) >= self.files or self.cost >= self.frames:
            return self.rest()
        return None

    def rest(self) -> tuple[int, list[list]] | None:
        if not self.current:
            return None
        full, self.current, self.cost = self.current, [], 0
        self.count += 1
        return self.count - 1, full


def job_read_task(*, job_id: str, task_index: int) -> None:
    """Read the parts of one task, storing each, then record them all at once; stop at the next
    file once the job is no longer running."""
    JobTask.objects.filter(job_id=job_id, index=task_index, done=False).update(attempts=F("attempts") + 1)
    task = JobTask.objects.filter(job_id=job_id, index=task_index, done=False).first()
    job = ReadJob.objects.filter(id=job_id, status=Status.RUNNING).first()
    if task is None or job is None:
        return
    if task.attempts > MAX_ATTEMPTS:
        job_fail(job_id=job_id, error=f"A part of the job failed {MAX_ATTEMPTS} times (its worker died or stopped); no partial results are kept.")
        return
    options = read_options_from_json(job.options)
    # The job's pixel budget was judged as a whole when it was planned (job_pixel_budget).
    limits = replace(configured_limits(), max_decoded_bytes=settings.MAX_JOB_DECODED_BYTES)
    files = {file.index: file for file in JobFile.objects.filter(job_id=job_id, index__in={item[0] for item in task.items})}
    recorded = set(JobPart.objects.filter(file__in=files.values()).values_list("file__index", "index"))  # by an earlier delivery
    stored: list[StoredPart] = []
    for file_index, part_index, frames, frame_total in task.items:
        if (file_index, part_index) in recorded:
            continue
        if stored and not ReadJob.objects.filter(id=job_id, status=Status.RUNNING).exists():
            storage.delete_job_folder(job_id)  # cancelled or failed meanwhile: what this task stored goes too
            return
        file = files[file_index]
        try:
            answer = read_job_part(
                lambda: storage.job_storage().open(file.source, "rb"), file.name, options, limits, job.uid_salt,
                tuple(frames) if frames is not None else None, NativeFrames(*file.layout) if file.layout is not None else None,
                first=part_index == 0,
            )
        except DicomError as exc:  # what the synchronous read answers 400 or 413 for
            job_fail(job_id=job_id, error=f"{file.name}: {exc.message}")
            return
        # the part's frames (1-based) beside its object: what a failed part leaves missing
        numbers = json.dumps([index + 1 for index in frames] if frames is not None else None).encode()
        storage.put(storage.part_name(job_id, file_index, part_index), b'{"frames":' + numbers + b',"object":' + answer + b"}")
        stored.append(StoredPart(file, part_index, frame_total))
    if record_parts(job_id=job_id, task=task, parts=stored):
        job_finish_if_done(job_id=job_id)


@dataclass(frozen=True)
class StoredPart:
    file: JobFile
    index: int
    frames: int


def record_parts(*, job_id, task: JobTask, parts: list[StoredPart]) -> bool:
    """Record the parts a task stored and mark it done, in one transaction, counting each part in
    the job's progress once however many deliveries of the task store it: the progress update
    takes the job's row lock (records of one job never interleave), and a part's insert fails on
    its unique constraint when another delivery recorded it meanwhile, which undoes the whole
    transaction; it is then made again without those parts. False when the job is no longer
    running (what was stored is deleted)."""
    while True:
        try:
            return record_parts_once(job_id=job_id, task=task, parts=parts)
        except IntegrityError:
            recorded = set(JobPart.objects.filter(file__in={part.file for part in parts}).values_list("file_id", "index"))
            left = [part for part in parts if (part.file.pk, part.index) not in recorded]
            if len(left) == len(parts):  # not a part recorded meanwhile: our bug, not a retry
                raise
            parts = left


def record_parts_once(*, job_id, task: JobTask, parts: list[StoredPart]) -> bool:
    with transaction.atomic():
        running = ReadJob.objects.filter(id=job_id, status=Status.RUNNING).update(
            files_done=F("files_done") + sum(part.file.parts_total == 1 for part in parts),
            frames_done=F("frames_done") + sum(part.frames for part in parts),
        )
        if not running:
            transaction.on_commit(lambda: storage.delete_job_folder(job_id))
            return False
        JobPart.objects.bulk_create([JobPart(file=part.file, index=part.index, frames=part.frames) for part in parts])
        # A file read in parts is done by the transaction that records its last one.
        split = {part.file.pk for part in parts if part.file.parts_total > 1}
        if split:
            completed = JobFile.objects.filter(pk__in=split).annotate(recorded=Count("parts")).filter(recorded=F("parts_total")).count()
            ReadJob.objects.filter(id=job_id).update(files_done=F("files_done") + completed)
        JobTask.objects.filter(pk=task.pk).update(done=True)
    return True


def job_finish_if_done(*, job_id) -> None:
    """Succeeded once every part of every file is recorded."""
    # The count of files done is exact (record_parts): until it is complete, no lock is taken.
    if not ReadJob.objects.filter(id=job_id, status=Status.RUNNING, planned=True, files_done__gte=F("files_total")).exists():
        return
    with transaction.atomic():
        job = ReadJob.objects.select_for_update().filter(id=job_id, status=Status.RUNNING, planned=True).first()
        if job is None:
            return
        incomplete = JobFile.objects.filter(job_id=job_id).annotate(done=Count("parts")).exclude(done=F("parts_total"))
        if incomplete.exists():
            return
        now = timezone.now()
        ReadJob.objects.filter(id=job_id).update(
            status=Status.SUCCEEDED, finished=now, expires=now + timedelta(hours=settings.JOB_RESULT_HOURS)
        )
        transaction.on_commit(lambda: send_callback(job))


def job_fail(*, job_id, error: str) -> None:
    """Failed, with the reason; what was stored is deleted (there are no partial results)."""
    now = timezone.now()
    with transaction.atomic():
        failed = ReadJob.objects.filter(id=job_id, status__in=ReadJob.ACTIVE).update(
            status=Status.FAILED, error=error, finished=now
        )
        job = ReadJob.objects.filter(id=job_id).first()
        if failed and job is not None:
            transaction.on_commit(lambda: send_callback(job))
    storage.delete_job_folder(job_id)


def orphan_uploads_delete(*, now=None) -> int:
    """Job folders that belong to no job, untouched for JOB_ORPHAN_UPLOAD_HOURS, are deleted: an
    upload whose web worker was killed before the job's row was made. The bound is longer than
    any upload takes, so one still arriving (written to as it arrives) is left alone."""
    now = now or timezone.now()
    stored = storage.stored_job_ids()
    known = set(ReadJob.objects.filter(id__in=stored).values_list("id", flat=True))
    deleted = 0
    for job_id in stored:
        if job_id in known:
            continue
        modified = storage.last_modified(job_id)
        if modified is not None and now - modified < timedelta(hours=settings.JOB_ORPHAN_UPLOAD_HOURS):
            continue
        storage.delete_job_folder(job_id)
        deleted += 1
    return deleted


def jobs_expire(*, now=None) -> int:
    """Succeeded jobs past their expiry lose their results and become `expired`."""
    now = now or timezone.now()
    expired = 0
    for job_id in ReadJob.objects.filter(status=Status.SUCCEEDED, expires__lte=now).values_list("id", flat=True):
        storage.delete_job_folder(job_id)
        expired += ReadJob.objects.filter(id=job_id, status=Status.SUCCEEDED).update(status=Status.EXPIRED)
    return expired


# --- Callbacks ---------------------------------------------------------------------------

def send_callback(job: ReadJob) -> None:
    from jobs.tasks import deliver_job_callback

    if job.callback_url:
        deliver_job_callback.delay(str(job.id))


def job_callback_deliver(*, job_id) -> None:
    """POST {"id", "status", "status_url"}, signed. Raises CallbackFailed (retried by the task);
    a URL that now resolves to a refused address is given up."""
    job = ReadJob.objects.select_related("profile").filter(id=job_id).first()
    if job is None or not job.callback_url:
        return
    try:
        target = resolve_callback(job.callback_url, allow_loopback=settings.JOB_WEBHOOK_ALLOW_LOOPBACK)
    except DicomError as exc:
        logger.warning("Callback of job %s not sent: %s", job_id, exc.message)
        return
    body = json.dumps({"id": str(job.id), "status": job.status, "status_url": job.status_url}).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "DICOM-API-Webhooks/1",
        SIGNATURE_HEADER: signature(job.profile.webhook_secret, body, int(time.time())),
    }
    post_callback(target, body, headers, timeout=settings.JOB_WEBHOOK_TIMEOUT_SECONDS)


# --- Results -----------------------------------------------------------------------------

def file_result(job_id, file: JobFile) -> dict:
    """The file's object as the synchronous read gives it: its parts' images joined in order. As
    in a read, the first frame that fails ends the images: its part's `ImageError` is the file's,
    and `MissingFrames` lists that frame and every later one (with no image at all, the failed
    part's object stands alone, without `Rendering`)."""
    parts = [json.loads(storage.get(storage.part_name(job_id, file.index, index))) for index in range(file.parts_total)]
    result = parts[0]["object"]
    if len(parts) == 1:
        return result
    images: list[str] = []
    for position, part in enumerate(parts):
        images += part["object"]["Images"]
        if "ImageError" not in part["object"]:
            continue
        if not images:
            return part["object"]
        missing = part["frames"][len(part["object"]["Images"]) :] + [number for later in parts[position + 1 :] for number in later["frames"]]
        result.pop("ImageError", None)
        result.pop("MissingFrames", None)
        return {**result, "Images": images, "ImageError": part["object"]["ImageError"], "MissingFrames": missing}
    return {**result, "Images": images}


def job_results_page(*, job: ReadJob, page: int) -> list[dict]:
    check_succeeded(job)
    size = settings.JOB_RESULTS_PAGE_SIZE
    files = JobFile.objects.filter(job=job).order_by("index")[(page - 1) * size : page * size]
    return [file_result(job.id, file) for file in files]


IMAGE_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}


class _PendingBytes:
    """What zipfile writes, until the archive's generator hands it on (an unseekable stream:
    zipfile then writes each member's sizes after its data)."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def safe_member_name(name: str) -> str:
    """A result name as a relative path inside the archive: no `..`, no absolute path, no drive."""
    parts = [part.replace(":", "_") for part in re.split(r"[\\/]+", name) if part not in ("", ".", "..")]
    return "/".join(parts) or "file"


def job_archive_chunks(*, job: ReadJob) -> Iterator[bytes]:
    """The archive, one file at a time: `<name>.json` (its object without Images) and
    `<name>/frame-0001.<ext>`..., and `skipped.json` when members were skipped."""
    check_succeeded(job)
    files = list(JobFile.objects.filter(job=job).order_by("index"))
    return _archive_chunks(job, files)


def _archive_chunks(job: ReadJob, files: list[JobFile]) -> Iterator[bytes]:
    pending = _PendingBytes()
    used: set[str] = set()
    with zipfile.ZipFile(pending, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            result = file_result(job.id, file)
            base = safe_member_name(result["name"])
            if base in used:
                base = f"{base}-{file.index + 1}"
            used.add(base)
            images = result.pop("Images", [])
            archive.writestr(f"{base}.json", json.dumps(result))
            extension = IMAGE_EXTENSIONS.get(result.get("ImageFormat"), "bin")
            for number, image in enumerate(images, start=1):
                archive.writestr(f"{base}/frame-{number:04d}.{extension}", base64.b64decode(image), compress_type=zipfile.ZIP_STORED)
            yield pending.take()
        if job.skipped:
            archive.writestr("skipped.json", json.dumps(job.skipped))
    yield pending.take()
