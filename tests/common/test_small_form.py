"""common/small_form.py splits a body exactly as Django's MultiPartParser does, or leaves it to it."""

import io
import random

import pytest
import urllib3
from django.core.files.uploadhandler import load_handler
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.test import override_settings
from django.test.client import BOUNDARY, encode_multipart
from django.test.client import RequestFactory

from bench.client import multipart as bench_multipart
from common.small_form import small_form
from tests.conftest import CORPUS

DICOM = (CORPUS / "MR_small.dcm").read_bytes()


def curl_like(fields: dict, files: dict) -> tuple[bytes, str]:
    """As curl -F sends a form: its boundary shape, each file part with a Content-Type."""
    boundary = "------------------------d74496d66958873e"
    lines = []
    for name, value in fields.items():
        lines.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (file_name, data) in files.items():
        lines.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
        )
    return b"".join(lines) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def django_client(fields: dict, files: dict) -> tuple[bytes, str]:
    uploads = {}
    for name, (file_name, data) in files.items():
        uploads[name] = io.BytesIO(data)
        uploads[name].name = file_name
    return encode_multipart(BOUNDARY, {**fields, **uploads}), f"multipart/form-data; boundary={BOUNDARY}"


def urllib3_form(fields: dict, files: dict) -> tuple[bytes, str]:  # requests' encoder
    return urllib3.encode_multipart_formdata({**fields, **{name: (file_name, data, "application/dicom") for name, (file_name, data) in files.items()}})


ENCODERS = {"bench": bench_multipart, "curl": curl_like, "django": django_client, "urllib3": urllib3_form}
FORMS = {
    "the guide's request": ({"fields": "PatientName,StudyDate,Modality", "return_format": "png"}, {"file": ("MR_small.dcm", DICOM)}),
    "a file alone": ({}, {"file": ("a b (1).dcm", DICOM)}),
    "unicode and empty values": ({"fields": "Rows", "frames": "", "x": "é ünïcode"}, {"file": ("x.dcm", b"")}),
    "two files": ({"images": "false"}, {"file": ("a.dcm", DICOM), "other": ("b.dcm", b"--" + DICOM)}),
}


def request_for(body: bytes, content_type: str) -> HttpRequest:
    request = RequestFactory().generic("POST", "/", body, content_type=content_type)
    request.upload_handlers = [load_handler("common.uploads.BoundedMemoryUploadHandler", request)]
    return request


def djangos(body: bytes, content_type: str):
    request = request_for(body, content_type)
    try:
        return MultiPartParser(request.META, io.BytesIO(body), request.upload_handlers).parse()
    except MultiPartParserError as exc:
        return exc


def same(ours, theirs) -> None:
    fields, files = ours
    their_fields, their_files = theirs
    assert list(fields.lists()) == list(their_fields.lists())
    assert list(files) == list(their_files)
    for name in files:
        for upload, their_upload in zip(files.getlist(name), their_files.getlist(name), strict=True):
            assert (upload.name, upload.field_name, upload.content_type, upload.size, upload.charset, upload.content_type_extra) == (
                their_upload.name, their_upload.field_name, their_upload.content_type, their_upload.size,
                their_upload.charset, their_upload.content_type_extra,
            )
            assert upload.read() == their_upload.read()


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("form", FORMS)
def test_every_encoders_form_is_split_as_django_splits_it(encoder, form):
    body, content_type = ENCODERS[encoder](*FORMS[form])
    ours = small_form(request_for(body, content_type))
    assert ours is not None, "a plain form went to Django's parser"
    same(ours, djangos(body, content_type))


@pytest.mark.parametrize("encoder", ENCODERS)
def test_mutated_bodies_are_split_as_django_splits_them_or_left_to_it(encoder):
    body, content_type = ENCODERS[encoder](*FORMS["the guide's request"])
    head_end = body.index(b"\r\n\r\n", body.index(b'name="file"'))  # mutate the parts' framing, not the file
    generator = random.Random(14)
    split = left = 0
    for _ in range(400):
        mutated = bytearray(body)
        for _ in range(generator.randint(1, 3)):
            position = generator.randrange(head_end + 4)
            mutated[position] = generator.choice(b'\r\n-";=: \x00\xe9aA/.\\&%')
        ours = small_form(request_for(bytes(mutated), content_type))
        if ours is None:
            left += 1
            continue
        split += 1
        theirs = djangos(bytes(mutated), content_type)
        assert not isinstance(theirs, Exception), f"Django refuses what was split: {bytes(mutated[:head_end])!r}"
        same(ours, theirs)
    assert split > 20 and left > 20  # both outcomes were met


SHAPES_LEFT_TO_DJANGO = {
    "a preamble": lambda body: b"preamble\r\n" + body,
    "an epilogue": lambda body: body + b"epilogue",
    "a header without its space": lambda body: body.replace(b"Content-Disposition: ", b"Content-Disposition:", 1),
    "another header": lambda body: body.replace(b"Content-Disposition", b"Content-Transfer-Encoding: 8bit\r\nContent-Disposition", 1),
    "an encoded file name": lambda body: body.replace(b'filename="MR_small.dcm"', b"filename*=UTF-8''MR_small.dcm", 1),
    "a path as file name": lambda body: body.replace(b'filename="MR_small.dcm"', b'filename="c:\\\\x\\\\MR_small.dcm"', 1),
    "an entity in a file name": lambda body: body.replace(b'filename="MR_small.dcm"', b'filename="a&amp;b.dcm"', 1),
    "a boundary inside a value": lambda body: body.replace(b"png", b"png--" + BOUNDARY.encode(), 1),
    "no closing delimiter": lambda body: body[: body.rindex(b"--" + BOUNDARY.encode())],
}


@pytest.mark.parametrize("shape", SHAPES_LEFT_TO_DJANGO)
def test_other_shapes_are_left_to_django(shape):
    body, content_type = django_client(*FORMS["the guide's request"])
    assert small_form(request_for(SHAPES_LEFT_TO_DJANGO[shape](body), content_type)) is None


def test_bodies_past_the_limits_are_left_to_django():
    body, content_type = django_client(*FORMS["the guide's request"])
    assert small_form(request_for(body, content_type)) is not None
    with override_settings(MAX_UPLOAD_BYTES=len(body) - 1):
        assert small_form(request_for(body, content_type)) is None
    with override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=2):
        assert small_form(request_for(body, content_type)) is None
    assert small_form(request_for(body, content_type.replace("multipart/form-data", "multipart/mixed"))) is None
    assert small_form(request_for(body, content_type + "; charset=latin-1")) is None
    many, many_type = django_client({f"f{index}": "1" for index in range(20)}, {})
    assert small_form(request_for(many, many_type)) is None
