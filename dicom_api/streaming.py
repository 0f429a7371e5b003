"""JSON answers sent in chunks: a read answer can hold tens of MB of base64 images, and building
it as one document would keep two more copies of them (the text, then its bytes)."""

import json
from collections.abc import Iterator

from django.http import StreamingHttpResponse

CHUNK_CHARS = 64 * 1024


def json_chunks(value) -> Iterator[bytes]:
    """`value` as compact JSON in chunks of about CHUNK_CHARS: containers are walked, every
    string or number is encoded on its own, so no document-sized text is ever built."""
    pending: list[str] = []
    size = 0
    for piece in _pieces(value):
        pending.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(pending).encode()
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode()


def _pieces(value) -> Iterator[str]:
    if isinstance(value, dict):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield ("," if index else "") + json.dumps(key) + ":"
            yield from _pieces(item)
        yield "}"
    elif isinstance(value, list):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _pieces(item)
        yield "]"
    else:
        yield json.dumps(value, allow_nan=False)


def streaming_json_response(value) -> StreamingHttpResponse:
    return StreamingHttpResponse(json_chunks(value), content_type="application/json")
