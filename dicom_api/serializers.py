"""The request shapes of the DICOM endpoints: each read option parsed and validated once, here,
into dicom_core's typed options; the same serializer is the OpenAPI schema."""

from functools import cache

from django.conf import settings
from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from dicom_core.errors import InvalidOptionError
from dicom_core.metadata import parse_fields, validate_fields
from dicom_core.options import METADATA_MODES, ReadOptions, parse_frames
from dicom_core.render import RenderOptions
from dicom_core.render.options import MAX_SIZE_RANGE, MIN_WINDOW_WIDTH, QUALITY_RANGE

# The core's names for its options (RenderOptions / ReadOptions attributes) -> the request field.
READ_FIELD_OF_OPTION = {"image_format": "return_format", "window": "window_width"}
RETURN_FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "gif": "gif"}


def request_field(exc: InvalidOptionError) -> InvalidOptionError:
    """The core's error, its field renamed to the request field that carries that option."""
    return InvalidOptionError(exc.message, field=READ_FIELD_OF_OPTION.get(exc.field, exc.field))


class FormatField(serializers.ChoiceField):
    """png, jpeg (or jpg), gif, case-insensitive."""

    def __init__(self, **kwargs):
        super().__init__(list(RETURN_FORMATS), **kwargs)

    def to_internal_value(self, data):
        return RETURN_FORMATS[super().to_internal_value(str(data).strip().lower())]


class KeywordsField(serializers.CharField):
    """Comma-separated DICOM keywords -> a tuple without repeats, each one a known keyword."""

    def to_internal_value(self, data):
        try:
            return tuple(validate_fields(parse_fields(super().to_internal_value(data)) or []))
        except InvalidOptionError as exc:
            raise serializers.ValidationError(exc.message) from None


class FramesField(serializers.CharField):
    """`1,3,5-9` (1-based, as DICOMweb) -> the 0-based indexes, in the order asked."""

    def to_internal_value(self, data):
        try:
            return parse_frames(super().to_internal_value(data))
        except InvalidOptionError as exc:
            raise serializers.ValidationError(exc.message) from None


class BooleanOption(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false (also 1/0, yes/no); got '{input}'."}

    def to_internal_value(self, data):
        text = str(data)  # quoted in the error: cut short, a message stays one sentence
        return super().to_internal_value(data if len(text) <= 40 else text[:40] + "...")


class ReadRequestSerializer(serializers.Serializer):
    """The multipart body of a read; `read_options()` gives dicom_core's ReadOptions.

    Every option but `file` may also be sent as a query parameter of the same name (the form
    field wins when both are sent). An option sent blank counts as not sent. Each bad value
    answers 400 with `field` naming it.
    """

    file = serializers.FileField(
        error_messages={"required": "Send the file as the multipart form field `file`."},
        help_text="A DICOM file (with or without preamble or file meta) or a .zip of them; the content decides.",
    )
    fields = KeywordsField(required=False, help_text="Comma-separated keywords to return, e.g. `PatientName,StudyDate,Modality`. An unknown keyword is a 400.")
    return_format = FormatField(required=False, default="png", help_text="Image format, case-insensitive, e.g. `jpeg`.")
    images = BooleanOption(required=False, default=True, help_text="`false`: metadata only; the pixel data is not even read (no `ImageFormat`, `Rendering`, `Images`). Accepts true/false, 1/0, yes/no.")
    frames = FramesField(
        required=False,
        help_text="1-based frames (as in DICOMweb), lists and ranges, e.g. `1,3,5-9`. Images come back in this order; "
        "a frame the file does not have is a 400 naming it (in a zip, every member must have it). Default: every frame.",
    )
    window_center = serializers.FloatField(required=False, help_text="VOI window center, e.g. `40`; sent with window_width. Overrides the file's VOI (linear function of PS3.3 C.11.2.1.2).")
    window_width = serializers.FloatField(
        required=False,
        help_text=f"VOI window width, at least {MIN_WINDOW_WIDTH:g} as DICOM requires of the linear function (PS3.3 C.11.2.1.2.1), e.g. `400`; "
        "sent with window_center. A grayscale window: color images "
        "(RGB, YBR, palette) are shown as they are and their `Rendering` says `\"voi_source\": \"none\"`.",
    )
    max_size = serializers.IntegerField(required=False, min_value=MAX_SIZE_RANGE[0], max_value=MAX_SIZE_RANGE[1], help_text="Longest edge in pixels (1-10000), e.g. `256`: aspect kept, downscaled with LANCZOS, never upscaled.")
    quality = serializers.IntegerField(required=False, min_value=QUALITY_RANGE[0], max_value=QUALITY_RANGE[1], help_text="JPEG quality 1-100, e.g. `80` (ignored for PNG and GIF). Not sent: 90, and an 8-bit grayscale JPEG Baseline frame that rendering would not change is sent as stored, not re-encoded.")
    animate = BooleanOption(
        required=False,
        default=False,
        help_text="`true` with `return_format=gif`: `Images` holds one animated GIF of all (or the selected) frames, each shown for "
        "its Frame Time Vector increment, else Frame Time, else 1000 / Cine Rate ms; 100 ms a frame when the file gives none.",
    )
    metadata = serializers.ChoiceField(
        METADATA_MODES,
        required=False,
        default="flat",
        help_text="`flat`: the guide's keyword -> string form. `dicom-json`: the DICOM JSON model of PS3.18 Annex F, its "
        "attributes keyed by 8 hex digits in the same object as `ImageFormat`, `Rendering`, `Images`, `ImageError` "
        "(and `name` in a zip); binary values inline (base64) up to 1024 bytes, larger ones (Pixel Data) as `{\"vr\"}` only; "
        "no file meta group. `fields` keeps the attributes named that the file has.",
    )
    anonymize = BooleanOption(
        required=False,
        default=False,
        help_text="`true`: the PS3.15 Basic Application Level Confidentiality Profile is applied to the metadata returned: "
        "identifying attributes removed, emptied or replaced by dummies, private tags removed, UIDs replaced by new ones "
        "(the same old UID gets the same new UID across the members of one zip, a new one in every request), "
        "PatientIdentityRemoved `YES` and DeidentificationMethod set. The images are NOT de-identified: "
        "they are rendered from the original pixels, so burned-in annotations are not removed.",
    )

    @classmethod
    def from_request(cls, request) -> "ReadRequestSerializer":
        """Validated from a DRF request's form fields, else its query parameters."""
        return cls.from_parts(request.query_params, request.data, request.FILES)

    @classmethod
    def from_parts(cls, query_params, form, files) -> "ReadRequestSerializer":
        """Validated from the form fields, else the query parameters; a blank value is not sent."""
        sent = {}
        for source in (query_params, form):  # the form wins: it is read last
            sent.update({name: value for name, value in source.items() if name in cls._declared_fields and str(value).strip()})
        if "file" in files:
            sent["file"] = files["file"]
        serializer = cls(data=sent)
        serializer.is_valid(raise_exception=True)
        return serializer

    def validate(self, data: dict) -> dict:
        if ("window_center" in data) != ("window_width" in data):
            missing = "window_width" if "window_center" in data else "window_center"
            raise serializers.ValidationError({missing: "window_center and window_width must be sent together."})
        return data

    def read_options(self) -> ReadOptions:
        """The validated request as the core's options; InvalidOptionError naming the request field."""
        data = self.validated_data
        window = (data["window_center"], data["window_width"]) if "window_center" in data else None
        try:
            render = RenderOptions(
                image_format=data["return_format"],
                frames=data.get("frames"),
                window=window,
                max_size=data.get("max_size"),
                quality=data.get("quality"),  # not sent: None, which may send stored JPEG frames as they are
                animate=data["animate"],
                png_compress_level=settings.PNG_COMPRESS_LEVEL,
            )
            return ReadOptions(
                fields=data.get("fields") or None,
                images=data["images"],
                metadata=data["metadata"],
                anonymize=data["anonymize"],
                render=render,
            )
        except InvalidOptionError as exc:
            raise request_field(exc) from None

    RESPONSE_DESCRIPTION = (
        "One file: its metadata, then `ImageFormat`, `Rendering` and `Images` (base64, one per frame in the order asked, "
        "or one animated GIF), or `Images: []` with `ImageError` (and no `Rendering`) when the file has no decodable pixel data; "
        "`images=false` gives the metadata alone. The metadata is flat by default (keyword -> string; sequences as lists of "
        'objects; private tags as "(gggg,eeee)"), or with `metadata=dicom-json` the DICOM JSON model (PS3.18 Annex F) whose '
        "attributes sit under their 8-hex-digit tags in the same object: every key of 8 hex digits is an attribute, every "
        "other key (`ImageFormat`, `Rendering`, `Images`, `ImageError`, `name`) is the service's, so "
        "`pydicom.Dataset.from_json({k: v for k, v in body.items() if len(k) == 8})` reads it back. "
        '`Rendering`: `{"window": [center, width] or null, "voi_source": "file-window" | "voi-lut" | "min-max" | "request" | '
        '"none", "inverted": true/false, "color": "RGB" | "grayscale"}` for the first image. '
        'A zip: `{"files": [{"name", ...the same object...}], "skipped": [{"name", "reason"}]}`; the options apply to every member. '
        "The answer is streamed in batches of about 64 KiB as the images are rendered (an answer smaller than that comes "
        "whole, with its Content-Length). When a frame fails after earlier ones were "
        "sent, the answer still ends as valid JSON: `Rendering` and `Images` hold the images made before it, `ImageError` "
        "says why the rest are missing and `MissingFrames` lists their 1-based frame numbers (in the order asked). "
        "An `ImageError` that says \"Internal error\" is a bug of ours, not the file's: its reference is in our logs."
    )
    EXAMPLES = [
        OpenApiExample(
            "A single-frame CT as PNG",
            value={
                "PatientName": "CompressedSamples^CT1",
                "Modality": "CT",
                "Rows": "128",
                "Columns": "128",
                "RWavePointer": "[20, 53, 77]",
                "FrameIncrementPointer": "(0018,1063)",
                "PixelData": "b'\\xfe\\xff\\x00\\xe0\\x80\\x01...'",
                "ImageFormat": "PNG",
                "Rendering": {"window": [40.0, 400.0], "voi_source": "file-window", "inverted": False, "color": "grayscale"},
                "Images": ["iVBORw0KGgoAAAANSUhEUgAAAIAAAACACAAAAADrRVxmAAA..."],
            },
            response_only=True,
        ),
        OpenApiExample(
            "DICOM JSON, anonymized, with a window asked for",
            value={
                "00080060": {"vr": "CS", "Value": ["CT"]},
                "00100010": {"vr": "PN", "Value": [{"Alphabetic": "ANONYMIZED"}]},
                "00120062": {"vr": "CS", "Value": ["YES"]},
                "00280010": {"vr": "US", "Value": [128]},
                "7FE00010": {"vr": "OW"},
                "ImageFormat": "PNG",
                "Rendering": {"window": [40.0, 80.0], "voi_source": "request", "inverted": False, "color": "grayscale"},
                "Images": ["iVBORw0KGgoAAAANSUhEUgAAAIAAAACACAAAAADrRVxmAAA..."],
            },
            response_only=True,
        ),
        OpenApiExample(
            "Frames 1 and 3 as JPEG, at most 256 pixels (form fields)",
            value={"frames": "1,3", "return_format": "jpeg", "max_size": 256, "quality": 80},
            request_only=True,
            media_type="multipart/form-data",  # examples are matched to the body's media type
        ),
        OpenApiExample(
            "A narrow window, DICOM JSON, anonymized",
            value={"window_center": 40, "window_width": 80, "metadata": "dicom-json", "anonymize": True},
            request_only=True,
            media_type="multipart/form-data",  # examples are matched to the body's media type
        ),
        OpenApiExample(
            "Frames 5 to 9 as one animated GIF",
            value={"frames": "5-9", "return_format": "gif", "animate": True},
            request_only=True,
            media_type="multipart/form-data",  # examples are matched to the body's media type
        ),
        OpenApiExample(
            "Metadata only, a few keywords",
            value={"images": False, "fields": "PatientName,StudyDate,Modality"},
            request_only=True,
            media_type="multipart/form-data",  # examples are matched to the body's media type
        ),
    ]


@cache
def shared_fields(serializer_class: type[ReadRequestSerializer]):
    """DRF's own `fields` of one serializer made for the purpose, then shared by every instance of
    the class. Safe because nothing changes a field once bound: validation only reads it (what a
    field looks up through its parent, `partial` and `context`, is False and empty on every read
    serializer), and no code adds or removes fields of an instance. Pinned against DRF's per-instance
    fields in tests/dicom_api/test_read_options_apis.py, DRF pinned (pyproject.toml) to the versions checked."""
    return super(ReadRequestSerializer, serializer_class()).fields


# A read serializer's fields are built and bound once per class, not deep-copied for every
# serializer as DRF does (that copy re-creates each field: ~6% of a small read's CPU). Set after
# the class: in its body the name `fields` is the `fields` option.
ReadRequestSerializer.fields = property(lambda self: shared_fields(type(self)))


class GenerateRequestSerializer(serializers.Serializer):
    """Documents the multipart body of /api/dicom/generate/."""

    file_name = serializers.RegexField(r"^[A-Za-z0-9._-]{1,64}$", help_text="Name of the file to download, without .dcm: letters, digits, `.`, `_`, `-`, at most 64.")
    image = serializers.ListField(child=serializers.FileField(), help_text="PNG or JPEG (by content). Several parts of the same size and kind make one multi-frame instance.")
    transfer_syntax = serializers.ChoiceField(["explicit-vr-little-endian"], required=False, help_text="Store a baseline JPEG uncompressed instead of embedding it as is.")
    PatientName = serializers.CharField(required=False, help_text="Any DICOM keyword is a field (see /api/dicom-format/allowed-fields/); its value must be valid for its VR.")
    Modality = serializers.CharField(required=False, help_text="e.g. CT; default OT.")

    SERVICE_FIELDS = frozenset({"file_name", "image", "transfer_syntax"})
