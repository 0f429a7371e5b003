"""The developer portal: server-rendered pages over the same services as the API.

Session login (CSRF on every form) is the portal's own; the API keeps its Bearer and ApiKey
schemes. Registration, keys, profiles, usage and reading are the API's service functions, so
the portal cannot disagree with the API. Invalid forms are shown again with status 200 (as
Django's own views do): error statuses are answered in JSON by common.middleware.
"""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import APIException, NotFound, ValidationError

from accounts.services import user_authenticate, user_create
from common.client_address import client_address
from common.exceptions import Conflict
from developers.models import DeveloperProfile
from developers.services import api_key_create, api_key_delete, api_key_list, profile_create, profile_update
from dicom_core.errors import DicomError
from jobs.services import job_get, job_list
from jobs.views import archive_response
from portal import charts
from portal.forms import CredentialsForm, KeyForm, ProfileForm, SignupForm, TryItForm
from portal.try_it import read_upload
from usage import clock
from usage.metering import QuotaExceeded
from usage.services import activity_summary, month_bounds, usage_consume

READ_ENDPOINT = "/api/dicom/read/file/"
NEW_KEY_SESSION = "portal_new_api_key"  # the full key, kept only until the next page shows it


def _profile(user) -> DeveloperProfile | None:
    return DeveloperProfile.objects.filter(user=user).first()


def _add_errors(form, error: ValidationError) -> None:
    """A service's ValidationError beside the fields it names (or above the form)."""
    detail = error.detail if isinstance(error.detail, dict) else {None: error.detail}
    for field, messages_ in detail.items():
        for message in messages_ if isinstance(messages_, list) else [messages_]:
            form.add_error(field if field in form.fields else None, str(message))


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's)."""
    return redirect(static("portal/favicon.svg"), permanent=True)


@require_GET
def home(request):
    return redirect("portal:keys" if request.user.is_authenticated else "portal:login")


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(**form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Tell us what you will build, then create an API key.")
            return redirect("portal:profile")
    return render(request, "portal/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def login_page(request):
    form = CredentialsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_authenticate(**form.cleaned_data, client_address=client_address(request))
        except APIException as error:  # wrong credentials, or too many failures (the API's throttle)
            form.add_error(None, str(error.detail))
        else:
            login(request, user)
            next_page = request.GET.get("next", "")
            safe = url_has_allowed_host_and_scheme(next_page, allowed_hosts={request.get_host()}, require_https=request.is_secure())
            return redirect(next_page if safe else "portal:keys")
    return render(request, "portal/login.html", {"form": form})


@require_POST
def logout_page(request):
    logout(request)
    messages.info(request, "You are logged out.")
    return redirect("portal:login")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    current = _profile(request.user)
    initial = {"purpose": current.purpose, "organization": current.organization} if current else {}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if current is None:
            profile_create(user=request.user, **form.cleaned_data)
        else:
            profile_update(profile=current, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("portal:profile")
    return render(request, "portal/profile.html", {"form": form, "has_profile": current is not None})


@login_required
@require_http_methods(["GET", "POST"])
def keys(request):
    form = KeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            api_key, key = api_key_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:  # no developer profile yet
            _add_errors(form, error)
        else:
            # Redirect, then show the key once: a reload neither shows it again nor makes another.
            request.session[NEW_KEY_SESSION] = {"name": api_key.name, "key": key}
            return redirect("portal:keys")
    context = {
        "form": form,
        "keys": api_key_list(user=request.user),
        "new_key": request.session.pop(NEW_KEY_SESSION, None),
        "has_profile": _profile(request.user) is not None,
    }
    return render(request, "portal/keys.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def key_revoke(request, key_id: int):
    """A confirmation page (works without script, unlike an inline confirm() under the CSP)."""
    api_key = api_key_list(user=request.user).filter(id=key_id).first()
    if api_key is None:  # another developer's key is not found either
        raise Http404
    if request.method == "POST":
        api_key_delete(user=request.user, key_id=key_id)
        messages.success(request, f"The key “{api_key.name}” is revoked: calls made with it are refused.")
        return redirect("portal:keys")
    return render(request, "portal/key_revoke.html", {"key": api_key})


@login_required
@require_GET
def usage(request):
    current = _profile(request.user)
    if current is None:
        return render(request, "portal/usage.html", {"has_profile": False})
    summary = activity_summary(profile=current)
    month_start, month_end = month_bounds(clock.now())
    context = {
        "has_profile": True,
        "summary": summary,
        "month": month_start,
        "chart": charts.daily_bar_chart(summary["daily_activity"], month_start.date(), month_end.date()),
        "gauges": charts.gauges(summary["by_endpoint"]),
    }
    return render(request, "portal/usage.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def try_it(request):
    current = _profile(request.user)
    form = TryItForm(request.POST or None, request.FILES or None)
    context = {"form": form, "has_profile": current is not None}
    if request.method == "POST" and current is not None and form.is_valid():
        # Counted like an API call, before reading, by the same metering as the endpoint.
        quota_status = usage_consume(profile=current, endpoint=READ_ENDPOINT)
        if not quota_status.granted:
            form.add_error(None, str(QuotaExceeded(quota_status).detail))
        else:
            upload = form.cleaned_data["file"]
            try:
                context["shown"] = read_upload(upload, form.cleaned_data["return_format"])
            except ValidationError as error:
                _add_errors(form, error)
            except DicomError as error:
                form.add_error("file", error.message)
    return render(request, "portal/try_it.html", context)


JOBS_SHOWN = 50  # the newest jobs on the page; the API pages through all of them


@login_required
@require_GET
def jobs(request):
    current = _profile(request.user)
    listed = list(job_list(profile=current)[:JOBS_SHOWN]) if current else []
    return render(request, "portal/jobs.html", {"has_profile": current is not None, "jobs": listed, "shown": JOBS_SHOWN})


@login_required
@require_GET
def job_archive(request, job_id):
    current = _profile(request.user)
    if current is None:
        raise Http404
    try:
        job = job_get(profile=current, job_id=job_id)
        return archive_response(job)
    except NotFound:  # another developer's job too
        raise Http404 from None
    except Conflict as error:  # not succeeded (yet)
        messages.error(request, str(error.detail))
        return redirect("portal:jobs")
