"""The streaming parser of the read answer, fed chunk by chunk as the network delivers it."""

import base64
import json

import pytest

from dicom_api_client import DicomApiError, ReadResult, ZipResult
from dicom_api_client._stream import AnswerParser, FolderSink, MemorySink, safe_relative_name

FRAMES = [b"\x89PNG first", b"\x89PNG second"]


def parse(body: bytes, sink=None, chunk: int = 1):
    parser = AnswerParser(sink or MemorySink())
    for start in range(0, len(body), chunk):
        parser.feed(body[start:start + chunk])
    return parser.close()


def one_file(**extra) -> dict:
    return {
        "PatientName": "Doe^J",
        "ReferencedSeriesSequence": [{"SeriesInstanceUID": "1.2.3", "Nested": [1, 2.5, None, True]}],
        "ImageFormat": "PNG",
        "Rendering": {"window": [40, 400], "voi_source": "file-window", "inverted": False, "color": "grayscale"},
        "Images": [base64.b64encode(frame).decode() for frame in FRAMES],
        **extra,
    }


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_one_file_parsed_from_any_chunking(chunk):
    result = parse(json.dumps(one_file()).encode(), chunk=chunk)
    assert isinstance(result, ReadResult)
    assert result.metadata == {"PatientName": "Doe^J", "ReferencedSeriesSequence": [{"SeriesInstanceUID": "1.2.3", "Nested": [1, 2.5, None, True]}]}
    assert [frame.data for frame in result.frames] == FRAMES and [frame.number for frame in result.frames] == [1, 2]
    assert result.rendering.window == (40.0, 400.0) and result.rendering.voi_source == "file-window"


def test_frames_missing_after_a_partial_answer_and_unknown_keys_after_the_images():
    body = one_file(ImageError="Frame 3 could not be decoded.", MissingFrames=[3, 4], SomethingNew={"a": 1})
    result = parse(json.dumps(body).encode())
    assert [frame.data for frame in result.frames] == FRAMES
    assert result.image_error == "Frame 3 could not be decoded." and result.missing_frames == [3, 4]
    assert result.extra == {"SomethingNew": {"a": 1}} and "SomethingNew" not in result.metadata  # kept, not taken for metadata
    written = result.to_json()
    assert written["MissingFrames"] == [3, 4] and written["SomethingNew"] == {"a": 1} and "Images" not in written


def test_a_zip_answer_writes_each_members_frames_under_its_safe_name(tmp_path):
    members = [dict(one_file(), name=name) for name in ("../../x.dcm", "/abs/y.dcm", "C:\\z.dcm", "a/x.dcm", "a\\x.dcm")]
    members = [{"name": member.pop("name"), **member} for member in members]  # the service sends `name` first
    body = {"files": members, "skipped": [{"name": "README", "reason": "not DICOM"}]}
    result = parse(json.dumps(body).encode(), FolderSink(tmp_path / "out"), chunk=64)
    assert isinstance(result, ZipResult)
    assert [member.safe_name for member in result.files] == ["x.dcm", "abs/y.dcm", "C_/z.dcm", "a/x.dcm", "a/x.dcm-2"]
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*.png"))
    assert written == sorted(f"out/{name}/frame-000{n}.png" for name in ("x.dcm", "abs/y.dcm", "C_/z.dcm", "a/x.dcm", "a/x.dcm-2") for n in (1, 2))
    assert [(item.name, item.reason) for item in result.skipped] == [("README", "not DICOM")]


def test_a_job_result_page_keeps_its_paging_keys():
    body = {"count": 3, "next": "http://host/next", "previous": None, "results": [dict({"name": "a.dcm"}, **one_file())], "skipped": []}
    page = parse(json.dumps(body).encode(), chunk=5)
    assert page["count"] == 3 and page["next"] == "http://host/next"
    assert [member.name for member in page["results"]] == ["a.dcm"]


@pytest.mark.parametrize(
    "body, message",
    [
        (json.dumps(one_file())[:-40].encode(), "ended early"),
        (b'{"Images": ["not base64!"]}', "not base64"),
        (b'{"Images": {}}', "not a list"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"a": tru}', "not valid JSON"),
    ],
)
def test_a_broken_answer_is_a_clear_error(body, message):
    with pytest.raises(DicomApiError, match=message):
        parse(body)


@pytest.mark.parametrize(
    "name, safe",
    [("../../x.dcm", "x.dcm"), ("/abs/y", "abs/y"), ("C:\\x", "C_/x"), ("..", "file"), ("a/./b/../c", "a/b/c"), ("s p?ce*.dcm", "s_p_ce_.dcm")],
)
def test_member_names_made_safe(name, safe):
    assert safe_relative_name(name) == safe
