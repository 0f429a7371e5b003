import base64
import io
import logging
import warnings

import pytest
from PIL import Image
from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

from dicom_core.errors import InvalidOptionError, LimitExceededError, MalformedInputError, NotDicomError
from dicom_core.limits import Limits
from dicom_core.logging_safety import silence_pydicom_logging
from dicom_core.options import ReadOptions
from dicom_core.read import elements_to_convert, metadata
from dicom_core.reading import SPECIFIC_CHARACTER_SET, read_dataset
from dicom_core.render import RenderOptions, executor_for, render
from dicom_core.render.reads import is_read_by_rendering
from tests.dicom_core.dicom_builders import CORPUS, corpus_bytes, explicit_le_file, huge_rle_frames, read_answer, tag, zip_of

LIMITS = Limits()


def test_one_file_gives_metadata_then_format_rendering_images():
    result = read_answer(corpus_bytes("SC_rgb_rle_2frame.dcm"), ReadOptions(), LIMITS)
    assert list(result)[-3:] == ["ImageFormat", "Rendering", "Images"]
    assert result["ImageFormat"] == "PNG"
    assert result["Rendering"]["color"] == "RGB"
    assert len(result["Images"]) == 2
    image = Image.open(io.BytesIO(base64.b64decode(result["Images"][1])))
    assert image.format == "PNG" and image.size == (100, 100)


@pytest.mark.parametrize("image_format", ["jpeg", "gif"])
def test_format_is_named_in_capitals(image_format):
    options = ReadOptions(render=RenderOptions(image_format=image_format))
    result = read_answer(corpus_bytes("MR_small.dcm"), options, LIMITS)
    assert result["ImageFormat"] == image_format.upper()
    assert Image.open(io.BytesIO(base64.b64decode(result["Images"][0]))).format == image_format.upper()


def test_fields_and_no_images():
    options = ReadOptions(fields=("PatientName", "Rows", "RWavePointer"), images=False)
    assert read_answer(corpus_bytes("CT_small.dcm"), options, LIMITS) == {
        "PatientName": "CompressedSamples^CT1",
        "Rows": "128",
        "RWavePointer": None,
    }


def test_no_images_reads_no_pixel_data():
    result = read_answer(corpus_bytes("CT_small.dcm"), ReadOptions(images=False), LIMITS)
    assert "PixelData" not in result and "Images" not in result


def test_truncated_pixel_data_gives_metadata_and_an_image_error():
    result = read_answer(corpus_bytes("MR_truncated.dcm"), ReadOptions(), LIMITS)
    assert result["Rows"] == "64"
    assert result["Images"] == []
    assert "truncated" in result["ImageError"]
    assert list(result)[-3:] == ["ImageFormat", "Images", "ImageError"]


def test_a_file_without_pixel_data_says_why():
    result = read_answer(corpus_bytes("rtplan.dcm"), ReadOptions(), LIMITS)
    assert result["Images"] == [] and "No pixel data" in result["ImageError"]


def test_huge_declared_frames_are_refused_before_decoding():
    with pytest.raises(LimitExceededError) as caught:
        read_answer(huge_rle_frames(), ReadOptions(), LIMITS)
    assert caught.value.limit == "max_decoded_bytes"


def test_neither_dicom_nor_zip():
    with pytest.raises(NotDicomError):
        read_answer(b"just some text", ReadOptions(), LIMITS)


def test_zip_lists_files_and_skipped_members():
    data = zip_of(
        {
            "README.txt": b"hello",
            "DICOMDIR": b"index",
            "renamed_dicomdir": explicit_le_file(b"").replace(b"1.2.840.10008.5.1.4.1.1.7\x00", b"1.2.840.10008.1.3.10\x00\x00\x00\x00\x00\x00"),
            "series/ct.dcm": corpus_bytes("CT_small.dcm"),
            "series/plan": corpus_bytes("rtplan.dcm"),
        }
    )
    result = read_answer(data, ReadOptions(), LIMITS)
    assert [f["name"] for f in result["files"]] == ["series/ct.dcm", "series/plan"]
    assert list(result["files"][0])[:2] == ["name", "SpecificCharacterSet"]
    assert len(result["files"][0]["Images"]) == 1
    skipped = {s["name"]: s["reason"] for s in result["skipped"]}
    assert set(skipped) == {"README.txt", "DICOMDIR", "renamed_dicomdir"}
    assert "not DICOM" in skipped["README.txt"] or "neither DICOM" in skipped["README.txt"]


def test_corpus_zip_reads_every_member():
    result = read_answer(corpus_bytes("study_77654033.zip"), ReadOptions(), LIMITS)
    assert len(result["files"]) == 7 and result["skipped"] == []
    assert all(len(f["Images"]) == 1 for f in result["files"])


def test_pixel_budget_is_per_request_across_a_zip():
    ct = corpus_bytes("CT_small.dcm")  # 128 x 128 x 2 bytes = 32 KiB declared
    data = zip_of({"a.dcm": ct, "b.dcm": ct, "c.dcm": ct})
    assert len(read_answer(data, ReadOptions(), Limits(max_decoded_bytes=3 * 32768))["files"]) == 3
    with pytest.raises(LimitExceededError) as caught:
        read_answer(data, ReadOptions(), Limits(max_decoded_bytes=2 * 32768 + 100))
    assert caught.value.limit == "max_decoded_bytes"
    # the member that passes it is named, and the request's limit (not what was left of it)
    assert caught.value.message.startswith("'c.dcm': the pixel data would decode to 32768 bytes, 98304 with the files before it")
    assert "the limit of 65636 bytes (MAX_DECODED_BYTES)" in caught.value.message


def test_no_patient_value_reaches_the_logs_or_warnings(caplog):
    # pydicom warns "Invalid value for VR UI: 'SECRETVALUE'" (and logs it) on this element
    data = explicit_le_file(tag(0x0008, 0x0018) + b"UI\x0c\x00SECRETVALUE\x00")
    with caplog.at_level(logging.DEBUG), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        silence_pydicom_logging()  # again: pytest and catch_warnings reset the warning filters
        result = read_answer(data, ReadOptions(), LIMITS)
    assert result["SOPInstanceUID"] == "SECRETVALUE"
    assert "SECRETVALUE" not in caplog.text
    assert not [w for w in caught if "SECRETVALUE" in str(w.message)]


# --- metadata=dicom-json and anonymize (ReadOptions.metadata, ReadOptions.anonymize) ---------


def test_dicom_json_sits_beside_the_image_keys():
    result = read_answer(corpus_bytes("CT_small.dcm"), ReadOptions(metadata="dicom-json"), LIMITS)
    assert list(result)[-3:] == ["ImageFormat", "Rendering", "Images"]
    attributes = {key: value for key, value in result.items() if key not in ("ImageFormat", "Rendering", "Images")}
    assert Dataset.from_json(attributes).PatientName == "CompressedSamples^CT1"
    assert "00020010" not in result  # no file meta group in the DICOM JSON model


def test_dicom_json_of_a_zip_member_keeps_its_name():
    data = zip_of({"ct.dcm": corpus_bytes("CT_small.dcm")})
    result = read_answer(data, ReadOptions(metadata="dicom-json", images=False, fields=("Modality",)), LIMITS)
    assert result["files"] == [{"name": "ct.dcm", "00080060": {"vr": "CS", "Value": ["CT"]}}]


@pytest.mark.parametrize("isolated", [True, False])
def test_anonymized_metadata_but_images_from_the_original(isolated):
    data = corpus_bytes("examples_overlay.dcm")
    plain = read_answer(data, ReadOptions(isolated=isolated), LIMITS)
    anonymized = read_answer(data, ReadOptions(anonymize=True, isolated=isolated), LIMITS)
    assert anonymized["Images"] == plain["Images"] and anonymized["Rendering"] == plain["Rendering"]
    assert anonymized["PatientIdentityRemoved"] == "YES"
    assert anonymized["SOPInstanceUID"] != plain["SOPInstanceUID"]
    assert not [key for key in anonymized if key.startswith("(")] and [key for key in plain if key.startswith("(")]


def test_one_uid_map_per_request():
    ct = corpus_bytes("CT_small.dcm")
    data = zip_of({"a.dcm": ct, "copy/a.dcm": ct})
    options = ReadOptions(anonymize=True, images=False, fields=("StudyInstanceUID", "SOPInstanceUID"))
    first, copy = read_answer(data, options, LIMITS)["files"]
    assert first["SOPInstanceUID"] == copy["SOPInstanceUID"] != "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"
    again = read_answer(data, options, LIMITS)["files"][0]
    assert again["StudyInstanceUID"] != first["StudyInstanceUID"]


def test_a_missing_frame_in_a_zip_names_the_member():
    data = zip_of({"mr.dcm": corpus_bytes("emri_small.dcm"), "ct/one.dcm": corpus_bytes("CT_small.dcm")})
    with pytest.raises(InvalidOptionError) as caught:
        read_answer(data, ReadOptions(render=RenderOptions(frames=(2,))), LIMITS)
    assert caught.value.field == "frames"
    assert "'ct/one.dcm'" in caught.value.message and "Frame 3" in caught.value.message


# --- With `fields`, only those elements and what rendering reads are converted (read.elements_to_convert)

GUIDE_FIELDS = ("PatientName", "StudyDate", "Modality")
MORE_FIELDS = (*GUIDE_FIELDS, "ReferencedImageSequence", "TransferSyntaxUID", "Rows", "WindowCenter")
CORPUS_FILES = sorted(path.name for path in CORPUS.glob("*.dcm") if path.name != "no_meta.dcm")
CORPUS_FILES_AND_ZIP = [*CORPUS_FILES, "study_77654033.zip"]
FEW_FIELDS_OPTIONS = {
    "guide, png": ReadOptions(fields=GUIDE_FIELDS, isolated=False),
    # the dataset with its elements left raw is sent to the render processes
    "guide, jpeg, render processes": ReadOptions(fields=GUIDE_FIELDS, render=RenderOptions(image_format="jpeg")),
    "more, gif, dicom-json": ReadOptions(
        fields=MORE_FIELDS, metadata="dicom-json", render=RenderOptions(image_format="gif", animate=True), isolated=False
    ),
    "more, no images": ReadOptions(fields=MORE_FIELDS, images=False),
    # every element: the plain text ones' strings taken from their bytes (reading.plain_text)
    "all metadata, png": ReadOptions(isolated=False),
    "all metadata, no images": ReadOptions(images=False),
}


def answer_either_way(data: bytes, options: ReadOptions, monkeypatch) -> tuple:
    """The answer (or "malformed") as read, then with every element converted at every parse (none
    left raw, not even the plain text ones)."""
    answers = []
    for _ in range(2):
        try:
            answers.append(read_answer(data, options, LIMITS))
        except MalformedInputError:  # then converting every element must refuse it too
            answers.append("malformed")
        monkeypatch.setattr(
            "dicom_core.read.read_dataset",
            lambda data, limits, stop_before_pixels=False, convert_only=None, leave_plain_text=False: read_dataset(
                data, limits, stop_before_pixels=stop_before_pixels
            ),
        )
    return tuple(answers)


@pytest.mark.parametrize("options", FEW_FIELDS_OPTIONS.values(), ids=FEW_FIELDS_OPTIONS.keys())
@pytest.mark.parametrize("name", CORPUS_FILES_AND_ZIP)
def test_a_few_fields_answer_as_converting_every_element_answers(name, options, monkeypatch):
    fast, slow = answer_either_way(corpus_bytes(name), options, monkeypatch)
    assert fast == slow


def test_a_zip_answers_as_converting_every_element_when_its_members_are_parsed_again_to_render(monkeypatch):
    fast, slow = answer_either_way(corpus_bytes("study_77654033.zip"), ReadOptions(isolated=False), monkeypatch)
    assert fast == slow and len(fast["files"]) > 1


def rendered_with(name: str, options: ReadOptions):
    data = corpus_bytes(name)
    dataset = read_dataset(data, LIMITS, stop_before_pixels=not options.images, convert_only=elements_to_convert(options))
    metadata(dataset, options, {})
    if options.images:
        list(render(dataset, options.render, LIMITS, executor_for(dataset, isolated=False)))
    return dataset


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_rendering_reads_only_the_elements_it_declares(name):
    options = ReadOptions(fields=GUIDE_FIELDS, render=RenderOptions(image_format="gif", animate=True), isolated=False)
    dataset = rendered_with(name, options)
    asked = frozenset(tag_for_keyword(keyword) for keyword in GUIDE_FIELDS)
    assert set(converted_leaves(dataset)) <= asked | {SPECIFIC_CHARACTER_SET} | {
        tag for tag in dataset.keys() if is_read_by_rendering(tag)
    }


def test_without_images_nothing_of_the_pixel_module_is_converted():
    dataset = rendered_with("CT_small.dcm", ReadOptions(fields=GUIDE_FIELDS, images=False))
    # the character set decodes the text; the pixel representation is the one pydicom reads itself
    # when it converts a sequence (CT_small has some), to pass it down to the items' US-or-SS values
    assert converted_leaves(dataset) == [0x00080005, 0x00080020, 0x00080060, 0x00100010, 0x00280103]
    assert 0x7FE00010 not in dataset


def test_every_element_is_converted_without_fields_or_with_anonymize():
    assert elements_to_convert(ReadOptions()) is None
    assert elements_to_convert(ReadOptions(fields=GUIDE_FIELDS, anonymize=True)) is None


def converted_leaves(dataset: Dataset) -> list[int]:
    return [
        tag for tag, element in dataset._dict.items()
        if not isinstance(element, RawDataElement) and element.VR != "SQ"
    ]
