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
from dicom_core.dicom_out import Conversion, ZipOutput, convert_upload, dicom_bytes
from dicom_core.transcode_isolated import transcode_isolated

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


class DicomOutApi(DicomApiView):
    """Validates the input serializer, converts every file of the upload, answers a file or a zip."""

    download_name: str

    def conversion(self, params) -> Conversion:
        raise NotImplementedError

    def convert_request(self, request, input_serializer) -> HttpResponse:
        params = input_serializer(data=request.data)
        params.is_valid(raise_exception=True)
        convert = self.conversion(params)
        result = convert_upload(params.validated_data["file"].read(), configured_limits(), convert, self.inspect_file)
        if isinstance(result, ZipOutput):
            response = StreamingHttpResponse(result.chunks(convert), content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{self.download_name}.zip"'
            return response
        response = HttpResponse(result, content_type="application/dicom")
        response["Content-Disposition"] = f'attachment; filename="{self.download_name}.dcm"'
        return response

    def inspect_file(self, dataset) -> None:
        """Each file of the upload (a zip's members too), seen before anything is converted, so that
        what it finds can still go into the answer's headers."""


class DicomAnonymizeApi(DicomOutApi):
    metered_endpoint = "/api/dicom/anonymize/"
    download_name = "anonymized"

    @extend_schema(tags=["dicom"], request={"multipart/form-data": AnonymizeRequestSerializer}, responses=DICOM_OUT_RESPONSES)
    def post(self, request):
        response = self.convert_request(request, AnonymizeRequestSerializer)
        if self.options.allow_burned_in and self.burned_in_seen:
            response["Warning"] = BURNED_IN_WARNING
        return response

    def conversion(self, params) -> Conversion:
        self.options = params.deidentify_options()
        self.burned_in_seen = False
        uid_map: dict[str, str] = {}  # one request: the same old UID gets the same new UID in every member

        return lambda dataset, data: dicom_bytes(deidentify(dataset, self.options, uid_map))

    def inspect_file(self, dataset) -> None:
        self.burned_in_seen = self.burned_in_seen or has_burned_in_annotation(dataset)


class DicomTranscodeApi(DicomOutApi):
    metered_endpoint = "/api/dicom/transcode/"
    download_name = "transcoded"

    @extend_schema(tags=["dicom"], request={"multipart/form-data": TranscodeRequestSerializer}, responses=DICOM_OUT_RESPONSES)
    def post(self, request):
        return self.convert_request(request, TranscodeRequestSerializer)

    def conversion(self, params) -> Conversion:
        options = params.transcode_options()
        limits = configured_limits()
        return lambda dataset, data: transcode_isolated(dataset, data, options, limits)
