"""Metering a view against the monthly quota: add `MeteredMixin` and name the endpoint.

    class DicomReadApi(MeteredMixin, APIView):
        metered_endpoint = "/api/dicom/read/file/"

The call is counted after authentication (a refused credential never counts) and before the
body is parsed; every answer carries the RateLimit headers, a 429 also `Retry-After`.
"""

import math

from rest_framework import status
from rest_framework.exceptions import APIException

from usage import clock
from usage.services import QuotaStatus, usage_consume


class QuotaExceeded(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "quota_exceeded"

    def __init__(self, quota_status: QuotaStatus):
        super().__init__(f"Monthly API request for '{quota_status.endpoint}' limit exceeded.")
        self.extra_body = {"quota": quota_status.quota, "requests_used": quota_status.used}


def rate_limit_headers(quota_status: QuotaStatus) -> dict[str, str]:
    window = int((quota_status.month_end - quota_status.month_start).total_seconds())
    reset_in = max(0, math.ceil((quota_status.month_end - clock.now()).total_seconds()))
    headers = {
        "RateLimit-Policy": f'"monthly";q={quota_status.quota};w={window}',
        "RateLimit": f'"monthly";r={quota_status.remaining};t={reset_in}',
        "X-RateLimit-Limit": str(quota_status.quota),
        "X-RateLimit-Remaining": str(quota_status.remaining),
        "X-RateLimit-Reset": str(int(quota_status.month_end.timestamp())),
    }
    if not quota_status.granted:
        headers["Retry-After"] = str(reset_in)
    return headers


class MeteredMixin:
    metered_endpoint: str
    metered_methods = frozenset({"POST"})

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method not in self.metered_methods:
            return  # OPTIONS, or a method the endpoint does not serve (405), is not a call to it
        self.quota_status = usage_consume(profile=request.auth.profile, endpoint=self.metered_endpoint)
        if not self.quota_status.granted:
            raise QuotaExceeded(self.quota_status)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        quota_status = getattr(self, "quota_status", None)
        if quota_status is not None:
            for name, value in rate_limit_headers(quota_status).items():
                response[name] = value
        return response
