import struct
import time
import zipfile
from io import BytesIO

import pytest

from dicom_core import archive
from dicom_core.archive import SkippedMember, ZipMember, iter_zip_members
from dicom_core.errors import LimitExceededError, MalformedInputError
from dicom_core.limits import Limits
from tests.dicom_core.dicom_builders import corpus_bytes, zip_of

LIMITS = Limits()


def members(data: bytes, limits: Limits = LIMITS) -> list:
    return list(iter_zip_members(BytesIO(data), limits))


def test_corpus_zip_yields_its_seven_files():
    found = members(corpus_bytes("study_77654033.zip"))
    assert [type(m) for m in found] == [ZipMember] * 7
    assert found[0].name == "CR1_6154.dcm"
    assert found[0].data[128:132] == b"DICM"


def test_nested_folders_are_read_and_directories_skipped_silently():
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("study/", b"")
        archive.writestr("study/series/one.dcm", corpus_bytes("MR_small.dcm"))
    assert [m.name for m in members(out.getvalue())] == ["study/series/one.dcm"]


def test_dicomdir_nested_zip_and_unsupported_method_are_skipped_with_reasons():
    data = zip_of({"DICOMDIR": b"x", "a/inner.zip": zip_of({"x.dcm": b"x"}), "ok.dcm": corpus_bytes("MR_small.dcm")})
    data = bytearray(data)
    found = members(bytes(data))
    reasons = {m.name: m.reason for m in found if isinstance(m, SkippedMember)}
    assert "DICOMDIR" in reasons["DICOMDIR"]
    assert "Nested zip" in reasons["a/inner.zip"]
    assert [m.name for m in found if isinstance(m, ZipMember)] == ["ok.dcm"]


def _set_member_flags(data: bytes, *, flag_bits: int | None = None, method: int | None = None) -> bytes:
    """Patch the first member's flags/method in both its local header and its central record."""
    patched = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = patched.find(signature)
        if flag_bits is not None:
            patched[at + flag_offset : at + flag_offset + 2] = struct.pack("<H", flag_bits)
        if method is not None:
            patched[at + flag_offset + 2 : at + flag_offset + 4] = struct.pack("<H", method)
    return bytes(patched)


def test_encrypted_member_is_skipped():
    data = _set_member_flags(zip_of({"secret.dcm": b"abc"}), flag_bits=1)
    assert members(data) == [SkippedMember("secret.dcm", "Encrypted members are not read.")]


def test_unsupported_compression_method_is_skipped():
    data = _set_member_flags(zip_of({"odd.dcm": b"abc"}), method=9)  # Deflate64
    assert members(data) == [SkippedMember("odd.dcm", "Unsupported compression method 9.")]


def test_corrupt_member_is_skipped_and_others_read():
    data = bytearray(zip_of({"bad.dcm": b"A" * 1000, "good.dcm": b"B" * 1000}, zipfile.ZIP_STORED))
    at = data.find(b"A" * 10)
    data[at] = ord("Z")  # CRC mismatch
    found = members(bytes(data))
    assert isinstance(found[0], SkippedMember) and "Corrupt" in found[0].reason
    assert found[1] == ZipMember("good.dcm", b"B" * 1000)


def test_not_a_zip_is_malformed():
    with pytest.raises(MalformedInputError):
        members(b"PK\x03\x04" + bytes(100))


def test_member_count_is_checked_before_zipfile_reads_the_directory():
    data = zip_of({f"{i}": b"" for i in range(2000)}, zipfile.ZIP_STORED)
    with pytest.raises(LimitExceededError) as caught:
        members(data)
    assert caught.value.limit == "max_zip_members"


def test_a_lying_declared_count_does_not_hide_records():
    data = bytearray(zip_of({f"{i}": b"" for i in range(2000)}, zipfile.ZIP_STORED))
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = struct.pack("<HH", 1, 1)
    with pytest.raises(LimitExceededError):
        members(bytes(data))


def test_two_hundred_thousand_empty_entries_are_refused_fast():
    data = zip_of({f"{i}": b"" for i in range(200_000)}, zipfile.ZIP_STORED)
    started = time.perf_counter()
    with pytest.raises(LimitExceededError):
        members(data)
    assert time.perf_counter() - started < 0.5


def overlapping_zip(copies: int, size: int) -> bytes:
    """`copies` central directory records all pointing at one deflated member (gh-109858)."""
    single = zip_of({"m": bytes(size)})
    directory = single.find(b"PK\x01\x02")
    end = single.rfind(b"PK\x05\x06")
    record = single[directory:end]
    records = b"".join(record[:46] + b"%c" % (65 + i % 26) + record[47:] for i in range(copies))
    eocd = bytearray(single[end:])
    eocd[8:16] = struct.pack("<HHLL", copies, copies, len(records), directory)
    return single[:directory] + records + bytes(eocd)


def test_overlapping_entries_are_refused():
    data = overlapping_zip(100, 10 * 1024 * 1024)
    assert len(data) < 30_000
    with pytest.raises(LimitExceededError) as caught:
        members(data)
    assert caught.value.limit == "zip_overlapping_entries"


def test_inflated_bytes_are_capped_across_members_from_real_bytes():
    data = zip_of({"a": bytes(3_000_000), "b": bytes(3_000_000)})
    limits = Limits(max_inflated_bytes=5_000_000, max_zip_ratio=10_000)
    with pytest.raises(LimitExceededError) as caught:
        members(data, limits)
    assert caught.value.limit == "max_inflated_bytes"


def test_one_members_inflated_bytes_are_capped_when_a_job_sets_it():
    data = zip_of({"a": bytes(3_000_000), "b": bytes(3_000_000), "c": bytes(3_000_001)})
    limits = Limits(max_inflated_bytes=100_000_000, max_member_bytes=3_000_000, max_zip_ratio=10_000)
    read = iter_zip_members(BytesIO(data), limits)
    assert [member.name for member in (next(read), next(read))] == ["a", "b"]  # each within the cap; the total far below its own
    with pytest.raises(LimitExceededError) as caught:
        next(read)
    assert caught.value.limit == "max_member_bytes" and "'c'" in caught.value.message


def test_compression_ratio_is_capped_per_member():
    with pytest.raises(LimitExceededError) as caught:
        members(zip_of({"bomb": bytes(20_000_000)}))
    assert caught.value.limit == "max_zip_ratio"


def test_an_understated_size_never_yields_more_or_fewer_bytes_than_it_checks():
    # Declare 10 bytes for a member that inflates to 20 MB: it is read as corrupt, never trusted.
    data = bytearray(zip_of({"liar": bytes(20_000_000)}))
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + size_offset : at + size_offset + 4] = struct.pack("<L", 10)
    assert members(bytes(data), Limits(max_zip_ratio=10_000)) == [SkippedMember("liar", "Corrupt member (BadZipFile).")]


@pytest.mark.parametrize(
    ("data", "limits", "limit"),
    [
        (zip_of({f"{i}": b"" for i in range(2000)}, zipfile.ZIP_STORED), LIMITS, "max_zip_members"),
        (overlapping_zip(100, 10 * 1024 * 1024), LIMITS, "zip_overlapping_entries"),
        (zip_of({"a": bytes(3_000_000), "b": bytes(3_000_000)}), Limits(max_inflated_bytes=5_000_000, max_zip_ratio=10_000), "max_inflated_bytes"),
        (zip_of({"bomb": bytes(20_000_000)}), LIMITS, "max_zip_ratio"),
    ],
    ids=["members", "overlap", "inflated", "ratio"],
)
def test_every_limit_holds_for_a_zip_read_from_a_file_on_disk(tmp_path, data, limits, limit):
    path = tmp_path / "upload.zip"
    path.write_bytes(data)
    with path.open("rb") as source, pytest.raises(LimitExceededError) as caught:
        list(iter_zip_members(source, limits))
    assert caught.value.limit == limit


def test_a_zip_on_disk_gives_what_the_same_bytes_give_in_memory(tmp_path):
    data = corpus_bytes("study_77654033.zip")
    path = tmp_path / "study.zip"
    path.write_bytes(data)
    with path.open("rb") as source:
        assert list(iter_zip_members(source, LIMITS)) == members(data)


def test_records_are_counted_across_chunk_boundaries(monkeypatch):
    data = zip_of({f"{i}": b"" for i in range(50)}, zipfile.ZIP_STORED)
    monkeypatch.setattr(archive, "CHUNK_BYTES", 5)  # every record's signature meets a boundary somewhere
    assert archive.count_signature(BytesIO(data), b"PK\x01\x02", 0, len(data)) == data.count(b"PK\x01\x02") == 50
    with pytest.raises(LimitExceededError):
        members(data, Limits(max_zip_members=49))
