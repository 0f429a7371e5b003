"""The read endpoint's direct lane: the usage guide's request answered without DRF's dispatch.

Most calls of the service are small reads (one CT or MR slice, `POST /api/dicom/read/file/` with an
API key); for them Django's URL resolving, the session, CSRF, authentication and messages
middleware and DRF's request wrapping, negotiation and dispatch cost about a quarter of the
request's CPU (bench/README.md, issue 14). This middleware, placed after the middleware whose
headers every answer carries, answers such a request itself with the view's own parts: the API key
(remembered by the process once found usable, and re-checked, with the profile's quota, by the
quota statement itself: usage_consume_with_key), the RateLimit headers of MeteredMixin, DRF's
multipart parser (a small form of the plainest shape is split by common/small_form.py),
ReadRequestSerializer and `read_answer`, and every error through the one exception handler, with
the `Allow` header DRF adds. Anything it is not sure of goes down the chain to the DRF view
untouched (body unread, nothing counted): another method or path, no or another credential, a key
that is refused (the view answers the 401), an `Accept` other than JSON or anything, a `format`
query parameter, a body that is not a non-empty multipart form.
tests/dicom_api/test_direct_read.py sends the same requests through both and compares the answers.
"""

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer

from common.exceptions import json_exception_handler
from common.small_form import small_form
from developers.authentication import ApiKeyAuthentication, forget_api_key, remembered_api_key
from developers.services import api_key_mark_used
from dicom_api.serializers import ReadRequestSerializer
from dicom_api.views import DicomReadApi, read_answer
from usage.metering import QuotaExceeded, rate_limit_headers
from usage.services import usage_consume_with_key

PATH = "/api/dicom/read/file/"
# The Accept headers for which DRF's negotiation picks the JSON renderer with no parameters.
JSON_ACCEPTED = frozenset({"", "*/*", "application/json"})


def claimed(request) -> bool:
    meta = request.META
    return (
        request.method == "POST"
        and request.path_info == PATH
        and meta.get("HTTP_ACCEPT", "").strip() in JSON_ACCEPTED
        and "format" not in request.GET
        and meta.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        and meta.get("CONTENT_LENGTH", "") not in ("", "0")
    )


class DirectReadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.view = DicomReadApi()  # its headers and its name in the exception handler's log
        self.parser = MultiPartParser()

    def __call__(self, request):
        if not claimed(request):
            return self.get_response(request)
        try:
            key = ApiKeyAuthentication.sent_key(request)  # None: another scheme or none, the view's to answer
        except AuthenticationFailed:
            key = None
        api_key = remembered_api_key(key) if key else None
        if api_key is None:
            return self.get_response(request)
        quota_status = None
        try:
            quota_status = usage_consume_with_key(api_key=api_key, endpoint=DicomReadApi.metered_endpoint)
            if quota_status is None:  # revoked, deleted or expired since this process found it usable
                forget_api_key(key)
                return self.get_response(request)
            api_key_mark_used(api_key=api_key)
            if not quota_status.granted:
                raise QuotaExceeded(quota_status)
            form = small_form(request)
            if form is None:
                parsed = self.parser.parse(request, request.META["CONTENT_TYPE"], {"request": request})
                form = parsed.data, parsed.files
            response = read_answer(ReadRequestSerializer.from_parts(request.GET, *form))
        except Exception as exc:  # as DRF's dispatch: the one handler answers every error, bugs logged as ours
            response = self.error_response(exc)
        headers = self.view.default_response_headers
        if quota_status is not None:
            headers.update(rate_limit_headers(quota_status))
        for name, value in headers.items():
            response[name] = value
        return response

    def error_response(self, exc: Exception):
        response = json_exception_handler(exc, {"view": self.view, "request": None})
        response.accepted_renderer = JSONRenderer()
        response.accepted_media_type = JSONRenderer.media_type
        response.renderer_context = {}
        return response.render()
