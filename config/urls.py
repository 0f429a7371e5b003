from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import AccountDeleteApi, PasswordChangeApi, RegisterApi, TokenObtainApi, TokenRefreshApi
from common.views import healthz
from developers.views import ApiKeyDeleteApi, ApiKeyListCreateApi, DeveloperProfileApi, WebhookSecretRotateApi
from dicom_api.dicom_out_views import DicomAnonymizeApi, DicomTranscodeApi
from dicom_api.views import AllowedFieldsApi, DicomGenerateApi, DicomReadApi, RequiredFieldTypeApi
from jobs.views import ReadJobApi, ReadJobArchiveApi, ReadJobListCreateApi, ReadJobResultsApi
from portal import views as portal_views
from usage.views import ActivitySummaryApi

urlpatterns = [
    # Accounts (no credential, or a Bearer token)
    path("api/register/", RegisterApi.as_view(), name="register"),
    path("api/token/", TokenObtainApi.as_view(), name="token"),
    path("api/token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("api/password/change/", PasswordChangeApi.as_view(), name="password-change"),
    path("api/account/", AccountDeleteApi.as_view(), name="account"),
    # Developer profiles, keys and usage (Bearer token)
    path("api/developer/profiles/", DeveloperProfileApi.as_view(), name="developer-profiles"),
    path("api/developer/profiles/activity-summary/", ActivitySummaryApi.as_view(), name="activity-summary"),
    path("api-keys/", ApiKeyListCreateApi.as_view(), name="api-keys"),
    path("api-keys/delete/<int:key_id>/", ApiKeyDeleteApi.as_view(), name="api-key-delete"),
    # DICOM dictionary (no credential)
    path("api/dicom-format/allowed-fields/", AllowedFieldsApi.as_view(), name="allowed-fields"),
    path("api/dicom-format/required-field-type/", RequiredFieldTypeApi.as_view(), name="required-field-type"),
    # DICOM operations (API key, metered)
    path("api/dicom/read/file/", DicomReadApi.as_view(), name="dicom-read"),
    path("api/dicom/generate/", DicomGenerateApi.as_view(), name="dicom-generate"),
    path("api/dicom/anonymize/", DicomAnonymizeApi.as_view(), name="dicom-anonymize"),
    path("api/dicom/transcode/", DicomTranscodeApi.as_view(), name="dicom-transcode"),
    # Jobs: reads of whole studies and long cines, asynchronously (API key)
    path("api/dicom/read/jobs/", ReadJobListCreateApi.as_view(), name="read-jobs"),
    path("api/dicom/read/jobs/<uuid:job_id>/", ReadJobApi.as_view(), name="read-job"),
    path("api/dicom/read/jobs/<uuid:job_id>/results/", ReadJobResultsApi.as_view(), name="read-job-results"),
    path("api/dicom/read/jobs/<uuid:job_id>/archive/", ReadJobArchiveApi.as_view(), name="read-job-archive"),
    path("api/developer/profiles/webhook-secret/", WebhookSecretRotateApi.as_view(), name="webhook-secret"),
    # Docs, health, admin
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The init script is served from the page's own URL (?script), so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="portal/swagger_ui.html"), name="docs"),
    re_path(r"^healthz/?$", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The developer portal (session login, server-rendered pages)
    path("portal/", include("portal.urls")),
    path("favicon.ico", portal_views.favicon),
    path("", RedirectView.as_view(pattern_name="portal:home"), name="root"),
]

handler400 = "common.views.bad_request"
handler403 = "common.views.permission_denied"
handler404 = "common.views.not_found"
handler500 = "common.views.server_error"
