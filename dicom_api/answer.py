"""The read answer's wire JSON (key names, base64), written out as the images are rendered.

One file: {...metadata..., "ImageFormat", "Rendering", "Images": [...]}, with "ImageError" (and
no "Rendering") when there is no image at all; a zip: {"files": [{"name", ...the same...}], "skipped": [{"name", "reason"}]}.
Each image is encoded as soon as it is rendered and sent with the next 64 KiB batch
(dicom_api/streaming.py), so a worker holds a frame or two and a batch, never the answer. When a
frame fails after earlier ones were sent, the answer still ends as valid JSON: `Rendering` and
`Images` hold what was made before it, `ImageError` says why the rest are missing and
`MissingFrames` lists their 1-based frame numbers.
"""

import base64
from collections.abc import Iterator

from dicom_api.streaming import encode_json, json_chunks, object_members_chunks
from dicom_core.read import FileReading, ZipReading


def read_answer_chunks(reading: FileReading | ZipReading) -> Iterator[bytes]:
    if isinstance(reading, FileReading):
        yield from file_chunks(reading, {})
        return
    yield b'{"files":['
    for position, (name, member) in enumerate(reading.files):
        if position:
            yield b","
        yield from file_chunks(member, {"name": name})
    yield b'],"skipped":'
    yield from json_chunks([{"name": member.name, "reason": member.reason} for member in reading.skipped])
    yield b"}"


def file_chunks(reading: FileReading, leading: dict) -> Iterator[bytes]:
    head = {**leading, **reading.metadata}
    images = reading.images
    if images is None:  # images=false: the metadata alone
        yield from json_chunks(head)
        return
    head["ImageFormat"] = images.image_format.upper()
    yield b"{"
    yield from object_members_chunks(head)
    rendered = iter(images)
    first = next(rendered, None)  # renders the first image: its Rendering comes before Images
    if first is None:
        yield b',"Images":['
    else:
        yield b',"Rendering":' + encode_json(images.rendering) + b',"Images":[' + quoted_base64(first)
        for image in rendered:
            yield b"," + quoted_base64(image)
    yield b"]"
    if images.error is not None:
        yield b',"ImageError":' + encode_json(images.error)
    if images.missing_frames and first is not None:  # a partial answer; with no image at all, ImageError says it
        yield b',"MissingFrames":' + encode_json(images.missing_frames)
    yield b"}"


def quoted_base64(image: bytes) -> bytes:
    return b'"' + base64.b64encode(image) + b'"'
