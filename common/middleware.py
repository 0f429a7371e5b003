"""JSON for the errors that happen outside DRF views: unknown paths, wrong methods, crashes."""

import json
import logging

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponse

logger = logging.getLogger(__name__)

_HTML_ERRORS = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
}


def json_error(message: str, status_code: int) -> HttpResponse:
    return HttpResponse(json.dumps({"error": message}), status=status_code, content_type="application/json")


class JsonErrorMiddleware:
    """Turns Django's own HTML error pages, and any exception that escaped, into JSON.

    The admin and the docs page keep their HTML on success; only error pages are replaced.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code in _HTML_ERRORS and not content_type.startswith("application/json"):
            if not request.path.startswith("/admin/") or response.status_code != 404:
                return json_error(_HTML_ERRORS[response.status_code], response.status_code)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, (Http404, PermissionDenied, BadRequest, SuspiciousOperation)):
            return None  # Django answers these itself, through the JSON handlers in config.urls
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return json_error("Internal error.", 500)


# Everything from the service's own origin; `data:` images for the rendered frames the try-it page
# shows and for Swagger UI's icons. No inline script or style: handlers are attached from static
# files (an inline `onsubmit` would be silently dropped by this policy).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Sends the Content-Security-Policy on every answer (Django 5.2 has no setting for it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
