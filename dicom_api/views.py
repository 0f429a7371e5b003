"""The DICOM endpoints: validate the request, call dicom_core, shape the answer."""

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from common.schema import ERROR_RESPONSES, error_example
from developers.authentication import ApiKeyAuthentication
from dicom_api.format_views import AllowedFieldsApi, RequiredFieldTypeApi  # noqa: F401  (routed in config.urls)
from dicom_api.answer import read_answer_chunks
from dicom_api.limits import configured_limits
from dicom_api.streaming import streaming_json_response
from dicom_api.serializers import GenerateRequestSerializer, ReadRequestSerializer, request_field
from dicom_core.errors import InvalidOptionError
from dicom_core.generate import generate_dicom, validate_file_name
from dicom_core.read import read_file
from usage.metering import MeteredMixin

API_KEY_ERRORS = {
    **ERROR_RESPONSES,
    413: error_example("Too large", "The upload is larger than the limit of 268435456 bytes."),
    429: error_example("Quota exceeded", "Monthly API request for '/api/dicom/read/file/' limit exceeded."),
}


# The read options also work as query parameters (a form field wins when both are sent).
READ_QUERY_PARAMETERS = [
    OpenApiParameter(name, str, OpenApiParameter.QUERY, required=False, description=f"Same as the form field: {field.help_text}")
    for name, field in ReadRequestSerializer().fields.items()
    if name != "file"
]


class DicomApiView(MeteredMixin, APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]


class DicomReadApi(DicomApiView):
    metered_endpoint = "/api/dicom/read/file/"

    @extend_schema(
        tags=["dicom"],
        request={"multipart/form-data": ReadRequestSerializer},
        parameters=READ_QUERY_PARAMETERS,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description=ReadRequestSerializer.RESPONSE_DESCRIPTION), **API_KEY_ERRORS},
        examples=ReadRequestSerializer.EXAMPLES,
    )
    def post(self, request):
        return read_answer(ReadRequestSerializer.from_request(request))


def read_answer(serializer: ReadRequestSerializer) -> HttpResponse | StreamingHttpResponse:
    """The read endpoint's answer to a validated request (here and in dicom_api.direct_read)."""
    options = serializer.read_options()
    upload = serializer.validated_data["file"]
    data = upload.read()
    upload.close()  # frees its buffer: the file is held once while it is read, not twice
    try:
        result = read_file(data, options, configured_limits())
    except InvalidOptionError as exc:  # e.g. a frame the file does not have
        raise request_field(exc) from None
    return streaming_json_response(read_answer_chunks(result))


class DicomGenerateApi(DicomApiView):
    metered_endpoint = "/api/dicom/generate/"

    @extend_schema(
        tags=["dicom"],
        request={"multipart/form-data": GenerateRequestSerializer},
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="The DICOM file (application/dicom), as an attachment."), **API_KEY_ERRORS},
    )
    def post(self, request):
        file_name = validate_file_name(request.data.get("file_name", ""))
        images = [upload.read() for upload in request.FILES.getlist("image")]
        if not images:
            raise InvalidOptionError("Send at least one PNG or JPEG as the multipart form field `image`.", field="image")
        unexpected_files = set(request.FILES) - {"image"}
        if unexpected_files:
            raise InvalidOptionError(f"Only `image` may carry a file, not `{sorted(unexpected_files)[0]}`.", field=sorted(unexpected_files)[0])
        metadata = {}
        for keyword, values in request.POST.lists():
            if keyword in GenerateRequestSerializer.SERVICE_FIELDS:
                continue
            if len(values) > 1:
                raise InvalidOptionError(f"`{keyword}` was sent more than once.", field=keyword)
            metadata[keyword] = values[0]
        dicom_bytes = generate_dicom(
            images, metadata, transfer_syntax=request.POST.get("transfer_syntax") or None, limits=configured_limits()
        )
        response = HttpResponse(dicom_bytes, content_type="application/dicom")
        response["Content-Disposition"] = f'attachment; filename="{file_name}.dcm"'
        return response
