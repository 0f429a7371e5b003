"""The Python client of the DICOM API: `Client`, `AsyncClient`, typed results and errors."""

from dicom_api_client._base import ReadOptions
from dicom_api_client.client import AsyncClient, AsyncJob, Client, Job, ResultPage
from dicom_api_client.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    Conflict,
    DicomApiError,
    InvalidRequest,
    JobFailed,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TooLarge,
)
from dicom_api_client.models import (
    ApiKey,
    DailyCount,
    EndpointUsage,
    Frame,
    JobProgress,
    JobStatus,
    NewApiKey,
    Profile,
    ReadResult,
    Rendering,
    Skipped,
    Usage,
    ZipResult,
)

__version__ = "0.1.0"
__all__ = [
    "Client", "AsyncClient", "Job", "AsyncJob", "ResultPage", "ReadOptions",
    "DicomApiError", "APIConnectionError", "APIStatusError", "InvalidRequest", "AuthenticationError",
    "PermissionDenied", "NotFound", "Conflict", "TooLarge", "RateLimited", "QuotaExceeded", "ServerError", "JobFailed",
    "ApiKey", "DailyCount", "EndpointUsage", "Frame", "JobProgress", "JobStatus", "NewApiKey", "Profile",
    "ReadResult", "Rendering", "Skipped", "Usage", "ZipResult",
]
