"""De-identification of whole uploads through HTTP: no original identifier in any output byte,
and a de-identified study that still holds together."""

import io
import re
import warnings
import zipfile

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from tests.conftest import CORPUS, api_key_header
from tests.dicom_core.deidentify.test_corpus import all_elements

pytestmark = pytest.mark.django_db
ANONYMIZE = "/api/dicom/anonymize/"
STANDARD_UID_ROOT = "1.2.840.10008."  # SOP classes, transfer syntaxes: they identify no one
# UIDs of a product version or a coding scheme, which the table keeps (they identify no one)
NON_INSTANCE_UIDS = {"CreatorVersionUID", "CodingSchemeUID"}


def read_quietly(data: bytes) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmread(io.BytesIO(data), force=True)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def anonymized_members(developer, members: dict[str, bytes], **fields) -> dict[str, bytes]:
    upload = io.BytesIO(zip_of(members))
    upload.name = "upload.zip"
    response = developer.client.post(ANONYMIZE, {"file": upload, "allow_burned_in": "true", **fields}, **api_key_header(developer.key))
    assert response.status_code == 200, response.content
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "skipped.json"}


def identifiers(ds: Dataset) -> set[str]:
    """The patient's name, ID and birth date, and every instance UID, at any depth."""
    found = {str(ds.get(keyword, "")) for keyword in ("PatientName", "PatientID", "PatientBirthDate")}
    found |= {str(elem.value) for elem in all_elements(ds) if elem.VR == "UI" and elem.VM == 1 and elem.keyword not in NON_INSTANCE_UIDS}
    # DCMTK writes its implementation class UID as the Instance Creator UID too: the file meta keeps it
    software = str(ds.file_meta.get("ImplementationClassUID", "")) if hasattr(ds, "file_meta") else ""
    return {value for value in found if len(value) >= 4 and not value.startswith(STANDARD_UID_ROOT) and value != software}


def appears_whole(value: str, data: bytes) -> bool:
    """`value` in `data` not as a part of a longer word or number ("0010" in "19000101")."""
    return re.search(rb"(?<![0-9A-Za-z.])" + re.escape(value.encode()) + rb"(?![0-9A-Za-z.])", data) is not None


def test_no_original_identifier_is_left_in_any_output_byte(developer):
    members = {path.name: path.read_bytes() for path in sorted(CORPUS.glob("*.dcm"))}
    with zipfile.ZipFile(CORPUS / "study_77654033.zip") as study:
        members.update({f"study/{name}": study.read(name) for name in study.namelist()})

    outputs = anonymized_members(developer, members)

    assert len(outputs) >= len(members) - 3  # no_meta.dcm, MR_truncated... may be skipped, not most
    for name, data in outputs.items():
        pixels = read_quietly(data).get("PixelData") or b""
        header = data.replace(pixels, b"") if pixels else data  # pixel values may spell "0010" by chance
        left = [value for value in identifiers(read_quietly(members[name])) if appears_whole(value, header)]
        assert not left, f"{name}: {left}"


def study_with_references() -> dict[str, bytes]:
    """The corpus study, each CT image referencing the previous one (Referenced Image Sequence)
    and the first CR (Source Image Sequence, nested one level deeper), as real series do."""
    with zipfile.ZipFile(CORPUS / "study_77654033.zip") as study:
        datasets = {name: read_quietly(study.read(name)) for name in study.namelist()}
    cts = sorted(name for name in datasets if name.startswith("CT"))
    first_cr = datasets[sorted(name for name in datasets if name.startswith("CR"))[0]]
    for previous, current in zip(cts, cts[1:]):
        reference = Dataset()
        reference.ReferencedSOPClassUID = datasets[previous].SOPClassUID
        reference.ReferencedSOPInstanceUID = datasets[previous].SOPInstanceUID
        source = Dataset()
        source.ReferencedSOPClassUID = first_cr.SOPClassUID
        source.ReferencedSOPInstanceUID = first_cr.SOPInstanceUID
        reference.SourceImageSequence = [source]
        datasets[current].ReferencedImageSequence = [reference]
    written = {}
    for name, ds in datasets.items():
        buffer = io.BytesIO()
        ds.save_as(buffer)
        written[name] = buffer.getvalue()
    return written


def test_a_deidentified_study_holds_together(developer):
    originals = {name: read_quietly(data) for name, data in study_with_references().items()}

    outputs = {name: read_quietly(data) for name, data in anonymized_members(developer, study_with_references()).items()}

    assert sorted(outputs) == sorted(originals)
    for key in ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"):
        groups_before = {name: [other for other in originals if originals[other].get(key) == ds.get(key)] for name, ds in originals.items()}
        groups_after = {name: [other for other in outputs if outputs[other].get(key) == ds.get(key)] for name, ds in outputs.items()}
        assert groups_after == groups_before, key  # the same members share it, under a new value
        assert not {str(ds.get(key)) for ds in outputs.values()} & {str(ds.get(key)) for ds in originals.values() if key in ds}
    instance_uids = {ds.SOPInstanceUID for ds in outputs.values()}
    references = [elem.value for ds in outputs.values() for elem in all_elements(ds) if elem.keyword == "ReferencedSOPInstanceUID"]
    assert len(references) == 2 * (sum(name.startswith("CT") for name in outputs) - 1)
    assert set(references) <= instance_uids  # every reference resolves to a member of the output
    for ds in outputs.values():
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
