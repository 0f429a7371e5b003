"""The input serializers of the DICOM out endpoints: form fields -> dicom_core's options."""

from rest_framework import serializers

from dicom_core.deidentify import OPTION_CODES, DeidentifyOptions, parse_profile_options
from dicom_core.transcode import LOSSY_METHODS, TRANSFER_SYNTAXES, TranscodeOptions, parse_transcode_options
from dicom_core.vr_validation import parse_value

FILE_HELP = "A DICOM file (with or without preamble or file meta) or a .zip of them; the content decides."


class AnonymizeRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=FILE_HELP)
    options = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Comma-separated PS3.15 profile options, e.g. `retain-dates,clean-descriptors`: "
        + ", ".join(f"`{name}`" for name in OPTION_CODES)
        + ". `retain-private` (Retain Safe Private) keeps only the private attributes that PS3.15 Table E.3.10-1 lists as safe "
        "for their Private Creator (with that Private Creator element), as they are; every other private attribute is removed.",
    )
    patient_id = serializers.CharField(required=False, max_length=64, help_text="Set as PatientID instead of the profile's dummy, e.g. `STUDY-042`.")
    patient_name = serializers.CharField(required=False, max_length=64, help_text="Set as PatientName instead of emptying it, e.g. `Subject^042`.")
    allow_burned_in = serializers.BooleanField(
        required=False,
        default=False,
        help_text="`true`: de-identify files with BurnedInAnnotation YES too (their pixels still show what is burned in; "
        "the answer then carries a `Warning` header). Otherwise such a file is a 400 (in a zip: listed in skipped.json).",
    )

    def validate_options(self, value: str) -> frozenset[str]:
        return parse_profile_options(value)

    def validate_patient_id(self, value: str) -> str:
        return _valid_value("LO", value)

    def validate_patient_name(self, value: str) -> str:
        return _valid_value("PN", value)

    def deidentify_options(self) -> DeidentifyOptions:
        data = self.validated_data
        return DeidentifyOptions(
            options=data.get("options", frozenset()),
            patient_id=data.get("patient_id"),
            patient_name=data.get("patient_name"),
            allow_burned_in=data["allow_burned_in"],
        )


class TranscodeRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=FILE_HELP)
    transfer_syntax = serializers.ChoiceField(
        list(TRANSFER_SYNTAXES),
        help_text="The transfer syntax of the result. Lossless: `explicit-vr-little-endian`, `implicit-vr-little-endian`, "
        "`deflated`, `rle`, `jpeg-ls-lossless`, `jpeg2000-lossless`, `htj2k-lossless` (decode to exactly the same pixels). "
        f"Lossy: {', '.join(f'`{name}`' for name in LOSSY_METHODS)} (`jpeg-baseline` holds 8-bit images only; a 16-bit one is a 400).",
    )
    quality = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        help_text="Lossy syntaxes only, 1-100 (default 90): JPEG quality; JPEG 2000 target PSNR 30 + quality/2 dB; "
        "JPEG-LS NEAR = max(1, (100 - quality) / 10).",
    )

    def transcode_options(self) -> TranscodeOptions:
        return parse_transcode_options(self.validated_data["transfer_syntax"], self.validated_data.get("quality"))


def _valid_value(vr: str, value: str) -> str:
    try:
        parse_value(vr, "1", value)
    except ValueError as exc:
        raise serializers.ValidationError(f"The value {exc}.") from None
    return value
