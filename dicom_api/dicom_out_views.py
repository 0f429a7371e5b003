"""DICOM out: de-identified copies and transcoded files (`/api/dicom/anonymize/`, `/api/dicom/transcode/`).

One file in: `application/dicom` out. A zip in: a zip out, streamed, the same member names and
a `skipped.json` member listing what was not converted and why."""

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema

from dicom_api.dicom_out_serializers import AnonymizeRequestSerializer, TranscodeRequestSerializer
from dicom_api.limits import configured_limits
from dicom_api.views import API_KEY_ERRORS, DicomApiView
from dicom_core.deidentify import deidentify
from dicom_core.deidentify.deidentify import has_burned_in_annotation
from dicom_core.dicom_out import Conversion, ZipOutput, convert_upload
from dicom_core.transcode import transcode

BURNED_IN_WARNING = '299 - "BurnedInAnnotation YES: text burned into the pixels is still there"'
DICOM_OUT_RESPONSES = {
    200: OpenApiResponse(
        OpenApiTypes.BINARY,
        description="One file in: the converted DICOM file (`application/dicom`, as an attachment). A zip in: a zip "
        "(`application/zip`, streamed) with the same member names and a `skipped.json` member: "
        '`[{"name", "reason"}]` for each member that is not DICOM or could not be converted.',
    ),
    **API_KEY_ERRORS,
}


def dicom_out_response(result: bytes | ZipOutput, convert: Conversion, download_name: str) -> HttpResponse:
    if isinstance(result, ZipOutput):
        response = StreamingHttpResponse(result.chunks(convert), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{download_name}.zip"'
        return response
    response = HttpResponse(result, content_type="application/dicom")
    response["Content-Disposition"] = f'attachment; filename="{download_name}.dcm"'
    return response


class DicomAnonymizeApi(DicomApiView):
    metered_endpoint = "/api/dicom/anonymize/"

    @extend_schema(tags=["dicom"], request={"multipart/form-data": AnonymizeRequestSerializer}, responses=DICOM_OUT_RESPONSES)
    def post(self, request):
        params = AnonymizeRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        options = params.deidentify_options()
        uid_map: dict[str, str] = {}  # one request: the same old UID gets the same new UID in every member
        burned_in = []

        def convert(dataset):
            burned_in.append(has_burned_in_annotation(dataset))
            return deidentify(dataset, options, uid_map)

        result = convert_upload(params.validated_data["file"].read(), configured_limits(), convert)
        if isinstance(result, ZipOutput):
            burned_in.extend(has_burned_in_annotation(dataset) for _, dataset in result.members)
        response = dicom_out_response(result, convert, "anonymized")
        if options.allow_burned_in and any(burned_in):
            response["Warning"] = BURNED_IN_WARNING
        return response


class DicomTranscodeApi(DicomApiView):
    metered_endpoint = "/api/dicom/transcode/"

    @extend_schema(tags=["dicom"], request={"multipart/form-data": TranscodeRequestSerializer}, responses=DICOM_OUT_RESPONSES)
    def post(self, request):
        params = TranscodeRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        options = params.transcode_options()
        limits = configured_limits()

        def convert(dataset):
            return transcode(dataset, options, limits)

        return dicom_out_response(convert_upload(params.validated_data["file"].read(), limits, convert), convert, "transcoded")
