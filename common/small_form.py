"""A small multipart form, split without Django's parser when it has the plainest shape.

Django's MultiPartParser costs ~0.3 ms on a 10 kB upload (a tenth of a small read's CPU, most of
it in parsing each part's headers through `email.message`). The forms that clients send for a
small read have one shape: `Content-Type: multipart/form-data; boundary=B`, parts with a
`Content-Disposition: form-data; name="..."` (and `filename="..."`) header and at most a bare
`Content-Type`. `small_form` splits such a body itself and answers None for anything else (a
larger body, more parts, another header, a parameter, an escape, a character outside printable
ASCII in a name), which then goes to Django's parser: it never answers differently from it.
tests/common/test_small_form.py compares the two on every encoder's bodies and their mutations.
"""

import re

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

MAX_BODY_BYTES = 1 << 20
MAX_PARTS = 16
# RFC 2046's boundary characters, without the space (a boundary ending in one must be quoted).
CONTENT_TYPE = re.compile(r"multipart/form-data; ?boundary=(?P<quote>\"?)(?P<boundary>[0-9A-Za-z'()+_,./:=?-]{1,70})(?P=quote)\Z", re.I)
# Letters, digits and a few marks: no quote or backslash (escapes), `;` or `=` (parameters), `&`
# (Django unescapes HTML entities in file names), `%`, `/` (paths in file names).
NAME = r"[0-9A-Za-z _.,()+\-\[\]]*"
DISPOSITION = re.compile(rf'form-data; name="(?P<name>{NAME})"(?:; filename="(?P<filename>{NAME})")?\Z', re.I)
PART_CONTENT_TYPE = re.compile(r"[0-9A-Za-z!#$&^_.+-]+/[0-9A-Za-z!#$&^_.+-]+\Z")


def small_form(request) -> tuple[QueryDict, MultiValueDict] | None:
    """The form fields and files of `request`'s body, as Django's parser would give them, or None."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = min(MAX_BODY_BYTES, settings.MAX_UPLOAD_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or MAX_BODY_BYTES)
    match = CONTENT_TYPE.match(request.META.get("CONTENT_TYPE", ""))
    if match is None or not 0 < length <= limit:
        return None
    return split_form(request.body, match["boundary"].encode(), request.encoding or settings.DEFAULT_CHARSET)


def split_form(body: bytes, boundary: bytes, encoding: str) -> tuple[QueryDict, MultiValueDict] | None:
    dash_boundary = b"--" + boundary
    *parts, closing = (b"\r\n" + body).split(b"\r\n" + dash_boundary)
    max_parts = min(MAX_PARTS, settings.DATA_UPLOAD_MAX_NUMBER_FIELDS or MAX_PARTS, settings.DATA_UPLOAD_MAX_NUMBER_FILES or MAX_PARTS)
    if parts[0] != b"" or closing not in (b"--", b"--\r\n") or not 1 < len(parts) <= max_parts + 1:
        return None
    if body.count(dash_boundary) != len(parts):  # Django's parser also ends a part at a boundary not after CRLF
        return None
    fields, files = QueryDict(mutable=True), MultiValueDict()
    for part in parts[1:]:
        if not part.startswith(b"\r\n"):
            return None
        head, separator, data = part[2:].partition(b"\r\n\r\n")
        headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n") if b": " in line)
        if not separator or len(headers) != head.count(b"\r\n") + 1:
            return None
        disposition = content_type = None
        for name, value in headers.items():
            if not value.isascii():
                return None
            if name.lower() == b"content-disposition":
                disposition = DISPOSITION.match(value.decode())
            elif name.lower() == b"content-type":
                content_type = value.decode().lower()  # as Django's parse_header_parameters gives it
            else:
                return None
        if disposition is None or content_type is not None and not PART_CONTENT_TYPE.match(content_type):
            return None
        if disposition["name"] != disposition["name"].strip():  # Django strips a parameter's spaces
            return None
        filename = disposition["filename"]
        if filename is None:
            if content_type is not None:
                return None
            fields.appendlist(disposition["name"], data.decode(encoding, errors="replace"))
        elif filename != filename.strip() or filename in ("", ".", ".."):
            return None
        else:
            upload = InMemoryUploadedFile(BytesIO(data), disposition["name"], filename, content_type or "", len(data), None, {})
            files.appendlist(disposition["name"], upload)
    fields._mutable = False
    return fields, files
