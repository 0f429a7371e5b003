"""The request shapes of the DICOM endpoints: parsed from form fields (or query parameters for
the read options) into dicom_core's option objects, and described for the OpenAPI schema."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from dicom_core import options as parse
from dicom_core.metadata import parse_fields, validate_fields
from dicom_core.read import ReadOptions
from dicom_core.render import RenderOptions


class ReadRequestSerializer(serializers.Serializer):
    """Documents the multipart body; parsing is done by read_options_from_request."""

    file = serializers.FileField(help_text="A DICOM file (with or without preamble or file meta) or a .zip of them; the content decides.")
    fields = serializers.CharField(required=False, help_text="Comma-separated keywords to return, e.g. `PatientName,StudyDate,Modality`.")
    return_format = serializers.ChoiceField(["png", "jpeg", "jpg", "gif"], required=False, help_text="Image format (default png; case-insensitive).")
    images = serializers.BooleanField(required=False, help_text="false: metadata only; the pixel data is not even read.")
    frames = serializers.CharField(required=False, help_text="1-based frames, lists and ranges: `1,3,5-9`. Images come back in this order.")
    window_center = serializers.FloatField(required=False, help_text="VOI window center (with window_width): overrides the file's window.")
    window_width = serializers.FloatField(required=False, help_text="VOI window width, >= 1.")
    max_size = serializers.IntegerField(required=False, help_text="Longest edge in pixels, aspect kept, never upscaled.")
    quality = serializers.IntegerField(required=False, help_text="JPEG quality 1-100 (default 90).")
    animate = serializers.BooleanField(required=False, help_text="With gif: one animated GIF of the frames, timed by Frame Time (default 100 ms a frame).")
    metadata = serializers.ChoiceField(["flat", "dicom-json"], required=False, help_text="flat (default, the guide's form) or the DICOM JSON model of PS3.18 Annex F.")
    anonymize = serializers.BooleanField(required=False, help_text="Apply the PS3.15 Basic Application Level Confidentiality Profile to the metadata returned.")

    OPTION_NAMES = ["fields", "return_format", "images", "frames", "window_center", "window_width", "max_size", "quality", "animate", "metadata", "anonymize"]
    RESPONSE_DESCRIPTION = (
        "One file: its metadata (keyword -> string; sequences as lists of objects; private tags as "
        '"(gggg,eeee)"), then `ImageFormat`, `Rendering` and `Images` (base64, one per frame), or '
        "`Images: []` with `ImageError` when the file has no decodable pixel data. A zip: "
        '`{"files": [{"name", ...}], "skipped": [{"name", "reason"}]}`.'
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
            "Frames 1 and 3 as JPEG, at most 256 pixels (form fields)",
            value={"frames": "1,3", "return_format": "jpeg", "max_size": 256, "quality": 80},
            request_only=True,
        ),
    ]


def _option(request, name: str) -> str | None:
    """A read option from the form, else from the query string."""
    value = request.data.get(name)
    return value if value not in (None, "") else request.query_params.get(name)


def read_options_from_request(request) -> ReadOptions:
    get = lambda name: _option(request, name)  # noqa: E731
    fields = parse_fields(get("fields") or "")
    image_format = parse.parse_return_format(get("return_format"))
    animate = parse.parse_bool("animate", get("animate"), False)
    if animate and image_format != "gif":
        raise parse.InvalidOptionError("animate=true needs return_format=gif.", field="animate")
    render = RenderOptions(
        image_format=image_format,
        frames=parse.parse_frames(get("frames")) if get("frames") else None,
        window=parse.parse_window(get("window_center"), get("window_width")),
        max_size=parse.parse_max_size(get("max_size")),
        quality=parse.parse_quality(get("quality")),
        animate=animate,
        png_compress_level=settings.PNG_COMPRESS_LEVEL,
    )
    return ReadOptions(
        fields=tuple(validate_fields(fields)) if fields else None,
        images=parse.parse_bool("images", get("images"), True),
        render=render,
    )


class GenerateRequestSerializer(serializers.Serializer):
    """Documents the multipart body of /api/dicom/generate/."""

    file_name = serializers.RegexField(r"^[A-Za-z0-9._-]{1,64}$", help_text="Name of the file to download, without .dcm: letters, digits, `.`, `_`, `-`, at most 64.")
    image = serializers.ListField(child=serializers.FileField(), help_text="PNG or JPEG (by content). Several parts of the same size and kind make one multi-frame instance.")
    transfer_syntax = serializers.ChoiceField(["explicit-vr-little-endian"], required=False, help_text="Store a baseline JPEG uncompressed instead of embedding it as is.")
    PatientName = serializers.CharField(required=False, help_text="Any DICOM keyword is a field (see /api/dicom-format/allowed-fields/); its value must be valid for its VR.")
    Modality = serializers.CharField(required=False, help_text="e.g. CT; default OT.")

    SERVICE_FIELDS = frozenset({"file_name", "image", "transfer_syntax"})
