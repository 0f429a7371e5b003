"""JSON sent in chunks: a read answer can hold hundreds of MB of base64 images, written out as
they are rendered (dicom_api/answer.py); no document-sized text is ever built."""

import json
from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse

CHUNK_CHARS = 64 * 1024
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def json_chunks(value) -> Iterator[bytes]:
    """`value` as compact JSON in chunks of about CHUNK_CHARS. Containers are walked; each run of
    neighbouring small values is encoded by one call (one C call for the hundreds of metadata
    strings), each large string on its own, so no document-sized text is ever built."""
    return _chunked(_pieces(value))


def object_members_chunks(mapping: dict) -> Iterator[bytes]:
    """The members of the JSON object `mapping`, without its braces: an object that goes on."""
    return _chunked(_members(mapping.items(), keyed=True))


def encode_json(value) -> bytes:
    return _encode(value).encode()


def _chunked(pieces: Iterator[str]) -> Iterator[bytes]:
    return (batch.encode() for batch in _batched(pieces, "".join))


def _batched(pieces: Iterator, join) -> Iterator:
    """Neighbouring pieces joined into batches of about CHUNK_CHARS or more; closed, it closes
    `pieces` (an answer stopped early releases what its images hold at once)."""
    pending = []
    size = 0
    try:
        for piece in pieces:
            pending.append(piece)
            size += len(piece)
            if size >= CHUNK_CHARS:
                yield join(pending)
                pending, size = [], 0
        if pending:
            yield join(pending)
    finally:
        if hasattr(pieces, "close"):
            pieces.close()


def _is_small(value) -> bool:
    """A value encoded together with its neighbours: not a container, not a large string."""
    if isinstance(value, str):
        return len(value) < CHUNK_CHARS
    return not isinstance(value, (dict, list, tuple))


def _pieces(value) -> Iterator[str]:
    if isinstance(value, dict):
        yield "{"
        yield from _members(value.items(), keyed=True)
        yield "}"
    elif isinstance(value, (list, tuple)):
        yield "["
        yield from _members(enumerate(value), keyed=False)
        yield "]"
    else:
        yield _encode(value)


def _members(items, *, keyed: bool) -> Iterator[str]:
    """The members of an object (keyed) or an array, comma-separated; a run of small values is
    encoded as one object or array whose brackets are dropped."""
    separator = ""
    run: dict = {}
    for key, item in items:
        if _is_small(item):
            run[key] = item
            continue
        if run:
            yield separator + _encode_run(run, keyed)
            separator, run = ",", {}
        yield separator + (_encode(key) + ":" if keyed else "")
        separator = ","
        yield from _pieces(item)
    if run:
        yield separator + _encode_run(run, keyed)


def _encode_run(run: dict, keyed: bool) -> str:
    return _encode(run if keyed else list(run.values()))[1:-1]


def streaming_json_response(chunks: Iterator[bytes]) -> HttpResponse | StreamingHttpResponse:
    """The JSON of `chunks`, written out in batches of about CHUNK_CHARS as they are made; an
    answer that fits in one batch is sent whole, with its length. The server writes each batch
    with a system call of its own (a small read's answer came in ~5 chunks, a chunked stream adds
    its end), and each such call hands the GIL to another of the worker's threads."""
    batches = _batched(chunks, b"".join)
    first = next(batches, b"")
    second = next(batches, None)
    if second is None:
        return HttpResponse(first, content_type="application/json")
    return StreamingHttpResponse(_resumed((first, second), batches), content_type="application/json")


def _resumed(sent: tuple, batches: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from sent
        yield from batches
    finally:
        batches.close()
