"""Where a job's upload, files and results live: the "jobs" storage of settings.STORAGES (a
folder, or a bucket shared by every web and worker machine), under jobs/<id>/."""

import errno
import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages


def job_storage() -> Storage:
    return storages["jobs"]


def job_folder(job_id) -> str:
    return f"jobs/{job_id}"


def upload_name(job_id) -> str:
    return f"{job_folder(job_id)}/upload"


def file_name(job_id, index: int) -> str:
    return f"{job_folder(job_id)}/files/{index:05d}.dcm"


def part_name(job_id, file_index: int, part_index: int) -> str:
    return f"{job_folder(job_id)}/parts/{file_index:05d}-{part_index:04d}.json"


def put(name: str, content: bytes) -> None:
    """Write `name`, replacing it (a task run again writes the same names again)."""
    storage = job_storage()
    # A folder with allow_overwrite (settings) and S3 replace a name as they write it, with no
    # lookup; a backend that keeps what is there answers another name, and room is made.
    if storage.get_available_name(name) != name:
        storage.delete(name)
    saved = storage.save(name, ContentFile(content))
    if saved != name:  # another writer raced in between: its copy holds the same bytes
        storage.delete(saved)


def get(name: str) -> bytes:
    with job_storage().open(name, "rb") as stored:
        return stored.read()


def delete_job_folder(job_id) -> None:
    """Every file of the job, then its folders (a bucket has none to delete)."""
    storage = job_storage()

    def delete_tree(folder: str) -> None:
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:  # deleted already, or never written
            return
        for name in files:
            storage.delete(f"{folder}/{name}")
        for name in folders:
            delete_tree(f"{folder}/{name}")
        try:
            storage.delete(folder)  # a folder on disk; on a bucket, a key that is not there
        except OSError as exc:
            # A task stored a file meanwhile; it deletes the job's folder itself once it sees the job stopped.
            if exc.errno != errno.ENOTEMPTY:
                raise

    delete_tree(job_folder(job_id))


def stored_job_ids() -> list[uuid.UUID]:
    """The ids of the job folders in storage (a folder whose name is not a job id is not ours)."""
    try:
        folders, _ = job_storage().listdir("jobs")
    except FileNotFoundError:  # nothing stored yet
        return []
    ids = []
    for name in folders:
        try:
            ids.append(uuid.UUID(name))
        except ValueError:
            continue
    return ids


def last_modified(job_id) -> datetime | None:
    """When anything in the job's folder was last written (None: nothing is there)."""
    storage = job_storage()

    def newest(folder: str) -> datetime | None:
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:
            return None
        times = [storage.get_modified_time(f"{folder}/{name}") for name in files]
        times += [time for time in (newest(f"{folder}/{name}") for name in folders) if time is not None]
        return max(times, default=None)

    return newest(job_folder(job_id))
