import json
import math

import pytest

from dicom_api.streaming import CHUNK_CHARS, json_chunks, streaming_json_response

COMPACT = {"separators": (",", ":")}


def streamed(value) -> bytes:
    return b"".join(json_chunks(value))


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": []},
        {"PatientName": "Ünïcode^名前", "Rows": 512, "Window": [40.0, 80.0], "Flag": True, "Empty": None},
        {"Seq": [{"CodeValue": "1"}, {}, {"Inner": [{"X": "y"}]}], "After": "z"},
        [1, "two", [3, [4]], {"five": 5}, None],
        {"Images": ["A" * (CHUNK_CHARS + 5), "small", "B" * (2 * CHUNK_CHARS)], "ImageFormat": "PNG"},
        {"files": [{"name": "a.dcm", "Images": ["C" * CHUNK_CHARS]}], "skipped": [{"name": "b", "reason": "r"}]},
    ],
)
def test_the_chunks_are_the_compact_json_of_the_value(value):
    assert streamed(value) == json.dumps(value, **COMPACT).encode()


def test_large_strings_are_chunked_not_joined_into_one_document():
    images = [chr(ord("A") + index) * CHUNK_CHARS for index in range(6)]
    chunks = list(json_chunks({"PatientID": "x", "Images": images}))
    assert len(chunks) >= 6
    assert max(len(chunk) for chunk in chunks) < 2 * CHUNK_CHARS + 100


def test_metadata_only_answer_is_one_chunk():
    metadata = {f"Keyword{index}": f"value {index}" for index in range(300)}
    assert len(list(json_chunks(metadata))) == 1


def test_nan_is_refused_as_json_would():
    with pytest.raises(ValueError):
        streamed({"value": math.nan})


@pytest.mark.django_db  # closing a response sends request_finished, which closes old connections
def test_an_answer_closed_early_closes_what_makes_it():
    closed = []

    def chunks():
        try:
            for _ in range(10):
                yield b" " * CHUNK_CHARS
        finally:
            closed.append(True)

    response = streaming_json_response(chunks())
    next(iter(response.streaming_content))
    assert closed == []
    response.close()
    assert closed == [True]


def test_a_small_answer_is_one_write_with_its_length():
    response = streaming_json_response(iter([b"{", b'"a":1', b"}"]))
    assert not response.streaming and response.content == b'{"a":1}'
