"""Client.read against the real server: every kind of input, the options, the zip answer, and
the errors as typed exceptions."""

import asyncio
import io
import zipfile

import pytest
from conftest import CORPUS, MAX_UPLOAD_BYTES

from dicom_api_client import AsyncClient, AuthenticationError, Client, DicomApiError, InvalidRequest, ReadResult, TooLarge, ZipResult

PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"


def test_read_a_path_gives_metadata_frames_and_rendering(client):
    result = client.read(CORPUS / "CT_small.dcm")
    assert isinstance(result, ReadResult)
    assert result.metadata["PatientName"] == "CompressedSamples^CT1"
    assert result.metadata["Modality"] == "CT"
    assert result.image_format == "PNG" and result.image_error is None
    assert [frame.number for frame in result.frames] == [1]
    assert result.frames[0].data.startswith(PNG) and result.frames[0].extension == "png"
    assert result.rendering is not None and result.rendering.color == "grayscale"
    assert result.files == [result] and result.skipped == []


def test_bytes_and_file_objects_read_like_paths(client):
    data = (CORPUS / "MR_small.dcm").read_bytes()
    by_path = client.read(CORPUS / "MR_small.dcm", fields=["PatientID", "Rows"])
    by_bytes = client.read(data, fields="PatientID,Rows")
    with open(CORPUS / "MR_small.dcm", "rb") as handle:
        by_file = client.read(handle, fields=("PatientID", "Rows"))
    assert by_path.metadata == by_bytes.metadata == by_file.metadata == {"PatientID": "4MR1", "Rows": "64"}
    assert by_path.frames[0].data == by_bytes.frames[0].data == by_file.frames[0].data


def test_read_options_are_sent(client):
    jpeg = client.read(CORPUS / "emri_small.dcm", return_format="jpeg", frames=[1, 3], max_size=32, quality=80)
    assert jpeg.image_format == "JPEG" and len(jpeg.frames) == 2
    assert all(frame.data.startswith(JPEG) and frame.extension == "jpg" for frame in jpeg.frames)
    windowed = client.read(CORPUS / "CT_small.dcm", window_center=40, window_width=400, fields="Modality")
    assert windowed.rendering.window == (40.0, 400.0) and windowed.rendering.voi_source == "request"
    metadata_only = client.read(CORPUS / "CT_small.dcm", images=False, anonymize=True, fields="PatientName")
    assert metadata_only.frames == [] and metadata_only.image_format is None
    assert metadata_only.metadata["PatientName"] != "CompressedSamples^CT1"
    animated = client.read(CORPUS / "emri_small.dcm", return_format="gif", animate=True)
    assert len(animated.frames) == 1 and animated.frames[0].data.startswith(b"GIF8")
    dicom_json = client.read(CORPUS / "CT_small.dcm", metadata="dicom-json", images=False)
    assert dicom_json.metadata["00100010"]["vr"] == "PN"


def test_frames_go_to_a_folder_as_they_arrive(client, tmp_path):
    arrived, received, sent = [], [], []
    in_memory = client.read(CORPUS / "emri_small.dcm")
    on_disk = client.read(
        CORPUS / "emri_small.dcm", frames_dir=tmp_path, on_frame=arrived.append, on_bytes=received.append, on_upload=sent.append
    )
    assert sum(sent) == (CORPUS / "emri_small.dcm").stat().st_size
    assert sorted(path.name for path in tmp_path.iterdir()) == [f"frame-{n:04d}.png" for n in range(1, 11)]
    assert [frame.path for frame in arrived] == [frame.path for frame in on_disk.frames]
    assert [frame.data for frame in on_disk.frames] == [frame.data for frame in in_memory.frames]
    assert sum(received) > sum(len(frame.data) for frame in in_memory.frames)  # the base64 answer


def test_a_file_without_pixel_data_says_why(client):
    result = client.read(CORPUS / "rtplan.dcm")
    assert result.frames == [] and result.image_error


def test_a_zip_gives_its_files_and_skipped_members(client, tmp_path):
    result = client.read(CORPUS / "study_77654033.zip", frames_dir=tmp_path)
    assert isinstance(result, ZipResult)
    assert result.files and all(member.name and member.frames for member in result.files)
    for member in result.files:
        assert all(frame.path.parent == tmp_path / member.safe_name for frame in member.frames)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("series/one.dcm", (CORPUS / "CT_small.dcm").read_bytes())
        archive.writestr("README.txt", b"not DICOM")
    mixed = client.read(buffer.getvalue())
    assert [member.name for member in mixed.files] == ["series/one.dcm"]
    assert [skipped.name for skipped in mixed.skipped] == ["README.txt"] and mixed.skipped[0].reason


def test_errors_are_typed_and_carry_the_servers_message(client, base_url):
    with pytest.raises(InvalidRequest) as bad_field:
        client.read(CORPUS / "CT_small.dcm", fields="PatientName,NotAKeyword")
    assert bad_field.value.status_code == 400 and "NotAKeyword" in bad_field.value.message
    with pytest.raises(InvalidRequest) as not_dicom:
        client.read(b"hello, not DICOM")
    assert "neither DICOM nor a zip" in not_dicom.value.message
    with pytest.raises(TooLarge) as too_large:
        client.read(b"\0" * (MAX_UPLOAD_BYTES + 1))
    assert too_large.value.status_code == 413 and too_large.value.message
    with Client("wrong.key", base_url=base_url) as stranger, pytest.raises(AuthenticationError) as refused:
        stranger.read(CORPUS / "CT_small.dcm")
    assert refused.value.status_code == 401
    with pytest.raises(DicomApiError, match="No such file"):
        client.read(CORPUS / "does-not-exist.dcm")
    with pytest.raises(TypeError, match="window"):
        client.read(CORPUS / "CT_small.dcm", windw_center=3)


def test_no_key_is_a_clear_error_before_any_request(base_url, monkeypatch):
    monkeypatch.delenv("DICOM_API_KEY", raising=False)
    with Client(base_url=base_url) as keyless, pytest.raises(DicomApiError, match="DICOM_API_KEY"):
        keyless.read(CORPUS / "CT_small.dcm")


def test_key_and_address_come_from_the_environment(base_url, api_key, monkeypatch):
    monkeypatch.setenv("DICOM_API_KEY", api_key)
    monkeypatch.setenv("DICOM_API_URL", base_url)
    with Client() as configured:
        assert configured.read(CORPUS / "CT_small.dcm", images=False).metadata["Modality"] == "CT"


def test_async_client_reads_generates_and_counts(base_url, api_key, tmp_path):
    from conftest import png_bytes

    async def session():
        async with AsyncClient(api_key, base_url=base_url) as client:
            reads = await asyncio.gather(
                client.read(CORPUS / "CT_small.dcm"),
                client.read(CORPUS / "emri_small.dcm", frames_dir=tmp_path, frames="2-3"),
            )
            generated = await client.generate(png_bytes(8, 8), "async", PatientName="Async^Test")
            usage = await client.usage()
            with pytest.raises(InvalidRequest):
                await client.read(b"not DICOM")
            return reads, generated, usage

    (single, framed), generated, usage = asyncio.run(session())
    assert single.metadata["Modality"] == "CT" and single.frames[0].data.startswith(PNG)
    assert [frame.path.name for frame in framed.frames] == ["frame-0001.png", "frame-0002.png"]
    assert generated[128:132] == b"DICM"
    assert usage.by_endpoint["/api/dicom/generate/"].count >= 1
