"""A job's upload, streamed to the jobs storage as it arrives: never held whole in memory, and
capped by its own limit (JOB_MAX_UPLOAD_BYTES) while it streams in."""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers

from common.exceptions import PayloadTooLarge
from dicom_core.errors import InvalidOptionError
from jobs import storage


class StoredUpload(UploadedFile):
    """The upload as stored: its name in the jobs storage and its size; the bytes stay there."""

    def __init__(self, stored_name: str, name: str, size: int, content_type: str | None):
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.stored_name = stored_name


class JobUploadHandler(FileUploadHandler):
    """For the job endpoint only: the one `file` part goes to jobs/<job_id>/upload in storage."""

    chunk_size = 1 << 20  # as common.uploads: gunicorn copies less with 1 MiB reads

    def __init__(self, request=None):
        super().__init__(request)
        self.job_id = uuid.uuid4()
        self.stored_name = storage.upload_name(self.job_id)
        self.destination = None
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.JOB_MAX_UPLOAD_BYTES + 64 * 1024:
            raise self.too_large()

    def too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The job upload is larger than the limit of {settings.JOB_MAX_UPLOAD_BYTES} bytes.")

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        if field_name != "file" or self.destination is not None:
            raise InvalidOptionError("A job takes one file, as the multipart form field `file`.", field=field_name)
        storage.job_storage().save(self.stored_name, ContentFile(b""))  # makes its folder
        self.destination = storage.job_storage().open(self.stored_name, "wb")
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.JOB_MAX_UPLOAD_BYTES:
            self.discard()
            raise self.too_large()
        self.destination.write(raw_data)

    def file_complete(self, file_size):
        self.destination.close()
        return StoredUpload(self.stored_name, self.file_name, file_size, self.content_type)

    def discard(self) -> None:
        """The request failed: nothing it sent is kept."""
        if self.destination is not None:
            self.destination.close()
        storage.delete_job_folder(self.job_id)
