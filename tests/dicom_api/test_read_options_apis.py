"""The read options beyond the guide (GitHub issue 5), driven through POST /api/dicom/read/file/
with real files from ../shared/corpus: each option alone, in combination, as a query
parameter, inside zips, and each bad value as a 400 naming its field."""

import base64
import io
import re

import numpy as np
import pydicom
import pytest
from PIL import Image, ImageSequence
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers

from dicom_api.serializers import ReadRequestSerializer
from jobs.serializers import ReadJobRequestSerializer

from tests.conftest import CORPUS, APIClient, Developer, api_key_header
from tests.dicom_core.dicom_builders import zip_of

pytestmark = pytest.mark.django_db
READ = "/api/dicom/read/file/"
HEX_TAG = re.compile(r"[0-9A-F]{8}")
RENDERING_KEYS = {"window", "voi_source", "inverted", "color"}
VOI_SOURCES = {"file-window", "voi-lut", "min-max", "request", "none"}


@pytest.fixture(scope="module")
def developer(django_db_setup, django_db_blocker):
    """One developer for the module (registering and logging in hash a password: ~1 s each);
    each test's own writes (usage counts) are still rolled back."""
    with django_db_blocker.unblock():
        developer = Developer(APIClient(), "read-options@example.com")
        developer.create_profile()
        developer.key = developer.create_key()["key"]
    yield developer
    with django_db_blocker.unblock():
        get_user_model().objects.filter(email=developer.email).delete()


def read(developer, data: bytes | str, query: str = "", **fields):
    if isinstance(data, str):
        data = (CORPUS / data).read_bytes()
    upload = io.BytesIO(data)
    upload.name = "file.dcm"
    return developer.client.post(READ + query, {"file": upload, **fields}, **api_key_header(developer.key))


def ok(response) -> dict:
    assert response.status_code == 200, response.content[:500]
    return response.json()


def assert_bad(response, field: str, *words: str) -> None:
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert body["field"] == field
    for word in words:
        assert word in body["error"]


def decoded(image_b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(image_b64)))


def pixels(image_b64: str) -> np.ndarray:
    return np.asarray(decoded(image_b64))


def attributes(body: dict) -> dict:
    """The DICOM JSON part of an answer: the keys of 8 hex digits."""
    return {key: value for key, value in body.items() if HEX_TAG.fullmatch(key)}


def corpus_files() -> list[str]:
    # no_meta.dcm starts with a stray byte: a 400, as DCMTK refuses it too (test_read_apis)
    return sorted(path.name for path in CORPUS.glob("*.dcm") if path.name != "no_meta.dcm")


# --- images=false -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["false", "False", "0", "no"])
def test_images_false_is_metadata_only(developer, value):
    body = ok(read(developer, "eCT_Supplemental.dcm", images=value))
    assert not {"ImageFormat", "Rendering", "Images", "ImageError", "PixelData"} & set(body)
    assert body["Rows"] == "512" and body["NumberOfFrames"] == "2"


def test_images_false_does_not_even_check_frames_or_render(developer):
    # frame 99 would be a 400 if the pixel data were looked at
    body = ok(read(developer, "CT_small.dcm", images="false", frames="99", return_format="gif", animate="true"))
    assert "Images" not in body and body["Modality"] == "CT"


def test_bad_boolean_is_400(developer):
    assert_bad(read(developer, "CT_small.dcm", images="maybe"), "images", "maybe")
    assert_bad(read(developer, "CT_small.dcm", anonymize="sure"), "anonymize")
    assert_bad(read(developer, "CT_small.dcm", return_format="gif", animate="2"), "animate")


# --- frames -----------------------------------------------------------------------------


def test_frames_lists_and_ranges_in_the_order_asked(developer):
    every = ok(read(developer, "emri_small.dcm"))["Images"]
    body = ok(read(developer, "emri_small.dcm", frames="7, 2,4-6,1"))
    assert len(body["Images"]) == 6
    for image, frame in zip(body["Images"], [7, 2, 4, 5, 6, 1]):
        assert np.array_equal(pixels(image), pixels(every[frame - 1])), frame
    assert not np.array_equal(pixels(every[0]), pixels(every[6]))  # the frames really differ


def test_frames_of_a_color_multiframe(developer):
    body = ok(read(developer, "SC_rgb_rle_2frame.dcm", frames="2"))
    assert len(body["Images"]) == 1 and decoded(body["Images"][0]).mode == "RGB"


def test_a_frame_that_does_not_exist_is_400_naming_it(developer):
    assert_bad(read(developer, "emri_small.dcm", frames="1,11"), "frames", "11", "10 frame")
    assert_bad(read(developer, "CT_small.dcm", frames="2"), "frames", "2")


@pytest.mark.parametrize("frames", ["0", "abc", "3-1", "1,,2", "-2", "1-", "1.5", "9999999999"])
def test_malformed_frames_are_400(developer, frames):
    assert_bad(read(developer, "emri_small.dcm", frames=frames), "frames")


def test_frames_inside_a_zip_apply_to_every_member_and_name_the_one_without(developer):
    emri, ct = (CORPUS / "emri_small.dcm").read_bytes(), (CORPUS / "CT_small.dcm").read_bytes()
    body = ok(read(developer, zip_of({"a.dcm": emri, "b.dcm": emri}), frames="3,1"))
    assert [len(member["Images"]) for member in body["files"]] == [2, 2]
    response = read(developer, zip_of({"mr.dcm": emri, "ct/one.dcm": ct}), frames="3")
    assert_bad(response, "frames", "ct/one.dcm", "3")


# --- window_center / window_width -------------------------------------------------------


def expected_window(path: str, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1, linear, after the Modality LUT, to 8 bits."""
    ds = pydicom.dcmread(CORPUS / path)
    values = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    scaled = ((values - (center - 0.5)) / (width - 1) + 0.5) * 255
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("center, width", [("40", "80"), ("-600", "1500"), ("1000.5", "1")])
def test_window_overrides_the_voi(developer, center, width):
    body = ok(read(developer, "CT_small.dcm", window_center=center, window_width=width))
    assert body["Rendering"] == {"window": [float(center), float(width)], "voi_source": "request", "inverted": False, "color": "grayscale"}
    image = pixels(body["Images"][0])
    if float(width) > 1:
        assert np.abs(image.astype(int) - expected_window("CT_small.dcm", float(center), float(width))).max() <= 1
    else:  # a width of 1 is a threshold
        assert set(np.unique(image)) <= {0, 255}


def test_window_replaces_the_files_own_window(developer):
    own = ok(read(developer, "MR_small.dcm"))
    asked = ok(read(developer, "MR_small.dcm", window_center="300", window_width="200"))
    assert own["Rendering"]["voi_source"] == "file-window"
    assert asked["Rendering"]["window"] == [300.0, 200.0]
    assert not np.array_equal(pixels(own["Images"][0]), pixels(asked["Images"][0]))


def test_window_on_a_monochrome1_image_keeps_it_inverted(developer):
    body = ok(read(developer, "RG3_J2KI.dcm", window_center="512", window_width="1024", max_size="64"))
    assert body["Rendering"]["inverted"] is True and body["Rendering"]["voi_source"] == "request"


@pytest.mark.parametrize("name", ["SC_rgb.dcm", "examples_palette.dcm"])
def test_window_on_a_color_image_is_not_applied_and_says_so(developer, name):
    plain = ok(read(developer, name))
    windowed = ok(read(developer, name, window_center="10", window_width="20"))
    assert windowed["Rendering"] == {"window": None, "voi_source": "none", "inverted": False, "color": "RGB"}
    assert np.array_equal(pixels(plain["Images"][0]), pixels(windowed["Images"][0]))


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"window_center": "40", "window_width": "0"}, "window_width"),
        ({"window_center": "40", "window_width": "0.5"}, "window_width"),
        ({"window_center": "40", "window_width": "-10"}, "window_width"),
        ({"window_center": "forty", "window_width": "80"}, "window_center"),
        ({"window_center": "40", "window_width": "nan"}, "window_width"),
        ({"window_center": "1e400", "window_width": "80"}, "window_center"),
        ({"window_center": "40"}, "window_width"),
        ({"window_width": "80"}, "window_center"),
    ],
)
def test_bad_window_is_400(developer, fields, field):
    assert_bad(read(developer, "CT_small.dcm", **fields), field)


# --- max_size ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, max_size, size",
    [
        ("CT_small.dcm", "64", (64, 64)),
        ("JPEG-LL.dcm", "256", (64, 256)),  # 1024 rows x 256 columns: height is the longest edge
        ("examples_palette.dcm", "200", (200, 88)),  # 350 x 800
        ("CT_small.dcm", "1000", (128, 128)),  # never upscaled
        ("CT_small.dcm", "128", (128, 128)),
    ],
)
def test_max_size_is_the_longest_edge_aspect_kept(developer, name, max_size, size):
    image = decoded(ok(read(developer, name, max_size=max_size))["Images"][0])
    assert image.size[0] == pytest.approx(size[0], abs=1) and image.size[1] == pytest.approx(size[1], abs=1)
    assert max(image.size) <= int(max_size)


def test_max_size_downscales_smoothly(developer):
    """A good downscale is close to the full image averaged over blocks (no aliasing)."""
    full = pixels(ok(read(developer, "RG3_J2KI.dcm"))["Images"][0]).astype(float)  # 1760 x 1760
    small = pixels(ok(read(developer, "RG3_J2KI.dcm", max_size="220"))["Images"][0]).astype(float)
    assert small.shape == (220, 220)
    block_means = full.reshape(220, 8, 220, 8).mean(axis=(1, 3))
    assert np.abs(small - block_means).mean() < 3


@pytest.mark.parametrize("value", ["0", "-5", "big", "10001", "12.5"])
def test_bad_max_size_is_400(developer, value):
    assert_bad(read(developer, "CT_small.dcm", max_size=value), "max_size")


# --- quality ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fields",
    [("RG3_J2KI.dcm", {"max_size": "512"}), ("examples_ybr_color.dcm", {"frames": "1"})],  # JPEG 2000; JPEG Baseline
)
def test_quality_sets_the_jpeg_quality(developer, name, fields):
    low = ok(read(developer, name, return_format="jpeg", quality="5", **fields))["Images"][0]
    high = ok(read(developer, name, return_format="jpeg", quality="100", **fields))["Images"][0]
    assert decoded(low).format == decoded(high).format == "JPEG"
    assert len(base64.b64decode(low)) * 3 < len(base64.b64decode(high))


@pytest.mark.parametrize("value", ["0", "101", "high", "-1", "50.5"])
def test_bad_quality_is_400(developer, value):
    assert_bad(read(developer, "CT_small.dcm", return_format="jpeg", quality=value), "quality")


# --- animate ----------------------------------------------------------------------------


def gif_frames(image_b64: str) -> list[tuple[np.ndarray, int]]:
    gif = decoded(image_b64)
    assert gif.format == "GIF"
    return [(np.asarray(frame.convert("L")), frame.info["duration"]) for frame in ImageSequence.Iterator(gif)]


def test_animate_gives_one_gif_of_every_frame_with_the_default_duration(developer):
    body = ok(read(developer, "emri_small.dcm", return_format="gif", animate="true"))
    stills = ok(read(developer, "emri_small.dcm", return_format="gif"))["Images"]
    assert len(body["Images"]) == 1
    frames = gif_frames(body["Images"][0])
    assert len(frames) == 10
    assert all(duration == 100 for _, duration in frames)  # emri_small has no Frame Time
    for (frame, _), still in zip(frames, stills):
        assert np.array_equal(frame, np.asarray(decoded(still).convert("L")))


def test_animate_selected_frames_timed_by_frame_time(developer):
    # examples_ybr_color: 30 frames, Frame Time 33.333 ms; GIF counts in hundredths of a second
    body = ok(read(developer, "examples_ybr_color.dcm", return_format="GIF", animate="yes", frames="5-8,1", max_size="80"))
    frames = gif_frames(body["Images"][0])
    assert len(frames) == 5 and all(duration == 30 for _, duration in frames)
    assert decoded(body["Images"][0]).size == (80, 60)
    assert body["Rendering"]["color"] == "RGB"


def test_animate_needs_gif(developer):
    assert_bad(read(developer, "emri_small.dcm", animate="true"), "animate", "gif")
    assert_bad(read(developer, "emri_small.dcm", return_format="jpeg", animate="true"), "animate")


# --- metadata=dicom-json ----------------------------------------------------------------


def without_file_meta(ds: Dataset) -> set[int]:
    return {tag for tag in ds.keys() if tag.group != 0x0002}


@pytest.mark.parametrize("name", corpus_files())
def test_dicom_json_round_trips_through_pydicom_for_every_corpus_file(developer, name):
    body = ok(read(developer, name, metadata="dicom-json", max_size="64"))
    metadata = attributes(body)
    assert set(body) - set(metadata) <= {"ImageFormat", "Rendering", "Images", "ImageError"}
    reparsed = Dataset.from_json(metadata)
    original = pydicom.dcmread(CORPUS / name, force=True)
    assert set(reparsed.keys()) == without_file_meta(original)
    for keyword in ("PatientName", "PatientID", "SOPInstanceUID", "StudyDate", "Modality", "Rows", "NumberOfFrames"):
        if keyword in original:
            assert str(reparsed[keyword].value) == str(original[keyword].value), keyword
    if "PixelData" in original:  # inline only when small
        pixel_data = original["PixelData"]
        inline = {"InlineBinary": base64.b64encode(pixel_data.value).decode()} if len(pixel_data.value) <= 1024 else {}
        assert metadata["7FE00010"] == {"vr": pixel_data.VR, **inline}
    if body["Images"]:  # every answer with images says how they were rendered
        assert set(body["Rendering"]) == RENDERING_KEYS and body["Rendering"]["voi_source"] in VOI_SOURCES
        assert body["Rendering"]["color"] in {"RGB", "grayscale"}
    else:
        assert body["ImageError"] and "Rendering" not in body


def test_dicom_json_small_binary_values_are_inline_and_large_ones_are_not(developer):
    metadata = attributes(ok(read(developer, "examples_palette.dcm", metadata="dicom-json", images="false")))
    original = pydicom.dcmread(CORPUS / "examples_palette.dcm")
    red_lut = original.RedPaletteColorLookupTableData  # 512 bytes: inline
    assert base64.b64decode(metadata["00281201"]["InlineBinary"]) == red_lut
    assert "7FE00010" not in metadata  # images=false: the pixel data is not even read
    ct = attributes(ok(read(developer, "CT_small.dcm", metadata="dicom-json")))
    assert ct["7FE00010"] == {"vr": "OW"}  # 32 KiB: no value inline


def test_dicom_json_with_fields_keeps_the_attributes_the_file_has(developer):
    body = ok(read(developer, "CT_small.dcm", metadata="dicom-json", fields="PatientName,Modality,RWavePointer", images="false"))
    assert body == {"00080060": {"vr": "CS", "Value": ["CT"]}, "00100010": {"vr": "PN", "Value": [{"Alphabetic": "CompressedSamples^CT1"}]}}


def test_dicom_json_in_a_zip_has_the_same_shape_per_member(developer):
    body = ok(read(developer, "study_77654033.zip", metadata="dicom-json", max_size="32"))
    assert len(body["files"]) == 7
    for member in body["files"]:
        assert set(member) - set(attributes(member)) == {"name", "ImageFormat", "Rendering", "Images"}
        assert Dataset.from_json(attributes(member)).PatientName == "Doe^Archibald"


def test_bad_metadata_mode_is_400(developer):
    assert_bad(read(developer, "CT_small.dcm", metadata="xml"), "metadata", "xml")


# --- anonymize --------------------------------------------------------------------------


def test_anonymize_flat_metadata(developer):
    original = pydicom.dcmread(CORPUS / "examples_overlay.dcm")
    assert [elem for elem in original if elem.tag.is_private]  # the file has private tags
    body = ok(read(developer, "examples_overlay.dcm", anonymize="true"))
    assert body["PatientIdentityRemoved"] == "YES"
    assert "Basic" in body["DeidentificationMethod"]
    assert not [key for key in body if key.startswith("(")]  # no private tags
    assert body["PatientName"] != str(original.PatientName)
    for keyword in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
        assert body[keyword] and body[keyword] != str(original[keyword].value), keyword
    assert body["Rows"] == "300"  # what is not identifying is kept


def test_anonymize_leaves_the_images_alone(developer):
    plain = ok(read(developer, "examples_overlay.dcm"))
    anonymized = ok(read(developer, "examples_overlay.dcm", anonymize="true"))
    assert anonymized["Images"] == plain["Images"] and anonymized["Rendering"] == plain["Rendering"]


def test_anonymize_with_dicom_json(developer):
    metadata = attributes(ok(read(developer, "CT_small.dcm", anonymize="true", metadata="dicom-json")))
    reparsed = Dataset.from_json(metadata)
    assert reparsed.PatientIdentityRemoved == "YES" and reparsed.DeidentificationMethod
    assert reparsed.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
    assert not [tag for tag in reparsed.keys() if tag.is_private]
    original = pydicom.dcmread(CORPUS / "CT_small.dcm")
    assert reparsed.SOPInstanceUID != original.SOPInstanceUID
    assert str(reparsed.get("PatientName", "")) != str(original.PatientName)


def test_anonymize_a_zip_replaces_uids_consistently_within_one_request(developer):
    def members(**fields) -> list[dict]:
        return ok(read(developer, "study_77654033.zip", anonymize="true", images="false", **fields))["files"]

    first, second = members(), members()
    originals = ok(read(developer, "study_77654033.zip", images="false"))["files"]
    study = {member["StudyInstanceUID"] for member in first}
    assert len({member["StudyInstanceUID"] for member in originals}) == 2 and len(study) == 2
    assert not study & {member["StudyInstanceUID"] for member in originals}
    # the CT series: four members, one series and one frame of reference before and after
    ct = [member for member in first if member["Modality"] == "CT"]
    assert len(ct) == 4 and len({m["SeriesInstanceUID"] for m in ct}) == 1 and len({m["FrameOfReferenceUID"] for m in ct}) == 1
    assert len({member["SOPInstanceUID"] for member in first}) == 7
    # a new request, new UIDs
    assert not study & {member["StudyInstanceUID"] for member in second}
    assert all(member["PatientIdentityRemoved"] == "YES" and member["PatientName"] != "Doe^Archibald" for member in first)


# --- combinations and the query string ---------------------------------------------------


def test_frames_max_size_jpeg_quality_together(developer):
    body = ok(read(developer, "examples_ybr_color.dcm", frames="30,2", max_size="160", return_format="jpg", quality="70"))
    assert body["ImageFormat"] == "JPEG" and len(body["Images"]) == 2
    assert all(decoded(image).size == (160, 120) and decoded(image).format == "JPEG" for image in body["Images"])


def test_options_inside_a_zip(developer):
    data = zip_of({name: (CORPUS / name).read_bytes() for name in ("emri_small.dcm", "CT_small.dcm", "examples_ybr_color.dcm")})
    body = ok(
        read(
            developer,
            data,
            frames="1",
            max_size="48",
            return_format="jpeg",
            quality="60",
            window_center="40",
            window_width="400",
            metadata="dicom-json",
            anonymize="true",
            fields="PatientIdentityRemoved,Rows",
        )
    )
    emri, ct, ybr = body["files"]
    for member in body["files"]:
        assert len(member["Images"]) == 1 and max(decoded(member["Images"][0]).size) == 48
        assert decoded(member["Images"][0]).format == "JPEG"
        assert attributes(member) == {"00120062": {"vr": "CS", "Value": ["YES"]}, "00280010": member["00280010"]}
    assert emri["Rendering"]["window"] == ct["Rendering"]["window"] == [40.0, 400.0]
    assert ybr["Rendering"]["voi_source"] == "none"  # a color image is not windowed
    assert ybr["00280010"]["Value"] == [240]


def test_options_as_query_parameters(developer):
    body = ok(read(developer, "emri_small.dcm", query="?frames=2-3&max_size=32&return_format=jpeg&quality=50&metadata=dicom-json&anonymize=true"))
    assert body["ImageFormat"] == "JPEG" and len(body["Images"]) == 2
    assert decoded(body["Images"][0]).size == (32, 32)
    assert body["00120062"]["Value"] == ["YES"]
    windowed = ok(read(developer, "CT_small.dcm", query="?window_center=40&window_width=80&images=true"))
    assert windowed["Rendering"]["voi_source"] == "request"
    assert "Images" not in ok(read(developer, "CT_small.dcm", query="?images=false"))


def test_the_form_field_wins_over_the_query_parameter(developer):
    body = ok(read(developer, "emri_small.dcm", query="?frames=1-5", frames="2"))
    assert len(body["Images"]) == 1


@pytest.mark.parametrize(
    "query, field",
    [("?frames=11", "frames"), ("?max_size=0", "max_size"), ("?quality=101", "quality"), ("?window_center=1&window_width=0", "window_width"), ("?metadata=x", "metadata"), ("?anonymize=x", "anonymize")],
)
def test_bad_query_parameters_are_400(developer, query, field):
    assert_bad(read(developer, "emri_small.dcm", query=query), field)


# --- the schema -------------------------------------------------------------------------


def test_every_option_is_in_the_schema_with_a_description_and_an_example(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][READ]["post"]
    body = operation["requestBody"]["content"]["multipart/form-data"]
    component = schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]
    examples = [example["value"] for example in body["examples"].values()]  # request examples
    for option in ("fields", "return_format", "images", "frames", "window_center", "window_width", "max_size", "quality", "animate", "metadata", "anonymize"):
        assert component["properties"][option]["description"], option
        assert any(option in example for example in examples), option
    assert "burned-in" in component["properties"]["anonymize"]["description"]
    assert "color" in component["properties"]["window_width"]["description"]
    description = operation["responses"]["200"]["description"]
    assert "dicom-json" in description and "from_json" in description and "voi_source" in description


# --- blank means not sent ---------------------------------------------------------------


BLANK_OPTIONS = ("fields", "return_format", "images", "frames", "window_center", "window_width", "max_size", "quality", "animate", "metadata", "anonymize")


@pytest.mark.parametrize("blank", ["", "  "])
def test_every_option_sent_blank_is_not_sent(developer, blank):
    name = "emri_small.dcm"  # several frames: a blank `frames` gives every one
    plain = ok(read(developer, name, return_format="jpeg"))
    blanked = ok(read(developer, name, **{option: blank for option in BLANK_OPTIONS if option != "return_format"}, return_format="jpeg"))
    assert blanked == plain
    assert ok(read(developer, name, query="?" + "&".join(f"{option}=" for option in BLANK_OPTIONS))) == ok(read(developer, name))


SERIALIZER_INPUTS = [
    {},
    {"fields": "PatientName,StudyDate,Modality", "return_format": "JPG", "images": "no", "frames": "1,3-4"},
    {"window_center": "40", "window_width": "400", "max_size": "256", "return_format": "gif", "animate": "yes", "metadata": "dicom-json"},
    {"fields": "NotAKeyword", "return_format": "tiff", "images": "maybe", "frames": "0", "window_center": "x"},
    {"window_width": "0.5", "max_size": "0", "quality": "101", "metadata": "xml", "anonymize": "2", "callback_url": "not a url"},
    {"callback_url": "https://example.com/hook", "anonymize": "true"},
]


@pytest.mark.parametrize("data", SERIALIZER_INPUTS)
@pytest.mark.parametrize("serializer_class", [ReadRequestSerializer, ReadJobRequestSerializer])
def test_shared_serializer_fields_validate_as_drfs_own_per_instance_fields(serializer_class, data):
    """The read serializers share one set of bound fields (dicom_api.serializers.shared_fields):
    every answer equals the one of fields deep-copied and bound for each instance, as DRF does."""
    per_instance = type("PerInstance", (serializer_class,), {})
    per_instance.fields = serializers.Serializer.fields  # DRF's own (set after the class: `fields` is an option)
    upload = (CORPUS / "MR_small.dcm").read_bytes()
    for sent in (data, {**data, "file": SimpleUploadedFile("a.dcm", upload)}):
        shared, own = serializer_class(data=dict(sent)), per_instance(data=dict(sent))
        assert shared.fields is serializer_class().fields and own.fields is not per_instance().fields
        assert list(shared.fields) == list(own.fields)
        assert shared.is_valid() == own.is_valid()
        assert shared.errors == own.errors
        if not shared.errors:
            assert shared.validated_data == own.validated_data
            assert shared.read_options() == own.read_options()
