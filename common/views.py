from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.db.utils import DatabaseError
from django.http import JsonResponse


def healthz(request):
    """200 when the service and its database answer; 503 when the database does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def not_found(request, exception=None):
    return JsonResponse({"error": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"error": "Internal error."}, status=500)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # an upload past MAX_UPLOAD_BYTES outside DRF (a portal form)
        return JsonResponse({"error": str(exception) or "The request body is too large."}, status=413)
    return JsonResponse({"error": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"error": "Forbidden."}, status=403)


def csrf_failure(request, reason=""):
    """A form posted without its CSRF token (or from another site): say what to do."""
    return JsonResponse({"error": "The form's CSRF token is missing or stale. Reload the page and send the form again."}, status=403)
