"""Every error the service answers, shaped in one place as `{"error": "..."}` with its status."""

import logging

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from dicom_core import errors as core

logger = logging.getLogger(__name__)

# The core knows nothing of HTTP; its kinds of error map to statuses here.
CORE_ERROR_STATUS = {
    core.NotDicomError: status.HTTP_400_BAD_REQUEST,
    core.MalformedInputError: status.HTTP_400_BAD_REQUEST,
    core.InvalidOptionError: status.HTTP_400_BAD_REQUEST,
    core.LimitExceededError: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    core.UnsupportedMediaError: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    """The resource is not in a state that allows this yet (a job's results before it succeeded)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Not available in the resource's current state."
    default_code = "conflict"


def error_response(message: str, status_code: int, **extra) -> Response:
    return Response({"error": message, **extra}, status=status_code)


def _first_message(detail) -> str:
    """The first human sentence inside DRF's nested error detail, prefixed by its field."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field in ("non_field_errors", "detail") else f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def json_exception_handler(exc, context):
    """DRF's exception handler: every error becomes JSON with `error` and the right status."""
    for kind, status_code in CORE_ERROR_STATUS.items():
        if isinstance(exc, kind):
            extra = {"field": exc.field} if exc.field else {}
            if isinstance(exc, core.LimitExceededError):
                extra["limit"] = exc.limit
            return error_response(exc.message, status_code, **extra)

    if isinstance(exc, Http404):
        return error_response("Not found.", status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return error_response("You do not have permission to do this.", status.HTTP_403_FORBIDDEN)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        return error_response(str(exc) or "The request body is too large.", 413)
    if isinstance(exc, SuspiciousOperation):  # Django's own verdict on a malformed request
        return error_response("The request is malformed.", status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RecursionError):
        # DRF's JSON parser lets deeply nested bodies through as RecursionError.
        return error_response("The request body is nested too deeply.", status.HTTP_400_BAD_REQUEST)

    if isinstance(exc, exceptions.ValidationError):
        extra = {"fields": exc.detail}
        if isinstance(exc.detail, dict) and exc.detail and next(iter(exc.detail)) not in ("non_field_errors", "detail"):
            extra["field"] = next(iter(exc.detail))  # the first field at fault, as the core's errors name it
        return error_response(_first_message(exc.detail), status.HTTP_400_BAD_REQUEST, **extra)

    if isinstance(exc, exceptions.APIException):
        headers = {}
        if isinstance(exc, (exceptions.AuthenticationFailed, exceptions.NotAuthenticated)):
            authenticator = context["request"].successful_authenticator if context.get("request") else None
            if authenticator is None and context.get("view") is not None:
                header = context["view"].get_authenticate_header(context["request"])
                if header:
                    headers["WWW-Authenticate"] = header
            # Unauthenticated is always 401 here (DRF answers 403 when no scheme is declared).
            exc.status_code = status.HTTP_401_UNAUTHORIZED
        wait = getattr(exc, "wait", None)
        if wait is not None:
            headers["Retry-After"] = str(int(wait) + 1)
        response = error_response(_first_message(exc.detail), exc.status_code, **getattr(exc, "extra_body", {}))
        for name, value in headers.items():
            response[name] = value
        return response

    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    return error_response("Internal error.", status.HTTP_500_INTERNAL_SERVER_ERROR)
