"""The job endpoints: validate, call jobs.services, shape the answer."""

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.utils.urls import remove_query_param, replace_query_param

from common.schema import error_example
from dicom_api.streaming import json_chunks, streaming_json_response
from dicom_api.views import API_KEY_ERRORS, DicomApiView
from jobs import services
from jobs.serializers import (
    WEBHOOK_DESCRIPTION, ReadJobCreatedSerializer, ReadJobRequestSerializer, ReadJobSerializer, job_limits_description,
)
from jobs.uploads import JobUploadHandler

NOT_YET = {409: error_example("Not succeeded yet", "The job is running: its results are available once it has succeeded.")}


class JobListPagination(PageNumberPagination):
    page_size = 20


class ReadJobListCreateApi(DicomApiView):
    """`POST` submits a read as a job (one call to its own monthly quota); `GET` lists your jobs."""

    metered_endpoint = "/api/dicom/read/jobs/"

    @extend_schema(
        tags=["jobs"],
        request={"multipart/form-data": ReadJobRequestSerializer},
        description="Read a DICOM file or a zip of them (a whole study, a long cine) asynchronously, with every option "
        "of `POST /api/dicom/read/file/`. Answers 202 at once; poll `status_url`, or give `callback_url`.\n\n"
        + job_limits_description()
        + WEBHOOK_DESCRIPTION,
        responses={202: ReadJobCreatedSerializer, **API_KEY_ERRORS},
    )
    def post(self, request):
        upload_handler = JobUploadHandler(request._request)
        request._request.upload_handlers = [upload_handler]  # this endpoint only: streamed to storage
        created = False
        try:
            serializer = ReadJobRequestSerializer.from_request(request)  # the read's own options, and callback_url
            options = serializer.read_options()
            upload = serializer.validated_data["file"]
            callback_url = serializer.validated_data.get("callback_url", "")
            if callback_url:
                services.check_callback_url(callback_url)
            job = services.job_create(
                job_id=upload_handler.job_id,
                profile=request.auth.profile,
                file_name=upload.name or "file",
                options=options,
                callback_url=callback_url,
                status_url=reverse("read-job", args=[upload_handler.job_id], request=request),
            )
            created = True
        finally:
            if not created:
                upload_handler.discard()
        body = ReadJobCreatedSerializer(job).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": job.status_url})

    @extend_schema(tags=["jobs"], responses={200: ReadJobSerializer(many=True), **API_KEY_ERRORS})
    def get(self, request):
        paginator = JobListPagination()
        page = paginator.paginate_queryset(services.job_list(profile=request.auth.profile), request, view=self)
        return paginator.get_paginated_response(ReadJobSerializer(page, many=True, context={"request": request}).data)


class ReadJobApi(DicomApiView):
    @extend_schema(tags=["jobs"], responses={200: ReadJobSerializer, **API_KEY_ERRORS})
    def get(self, request, job_id):
        job = services.job_get(profile=request.auth.profile, job_id=job_id)
        return Response(ReadJobSerializer(job, context={"request": request}).data)

    @extend_schema(
        tags=["jobs"],
        description="A queued or running job is cancelled (it stops at its next file); a finished job is deleted. "
        "Either way its upload and results are deleted.",
        responses={204: OpenApiResponse(description="Cancelled or deleted."), **API_KEY_ERRORS},
    )
    def delete(self, request, job_id):
        services.job_cancel(job=services.job_get(profile=request.auth.profile, job_id=job_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadJobResultsApi(DicomApiView):
    @extend_schema(
        tags=["jobs"],
        parameters=[OpenApiParameter("page", int, OpenApiParameter.QUERY, required=False, description="1-based page.")],
        description="A page of the results: each the object `POST /api/dicom/read/file/` gives for that file, with "
        "`name`; `skipped` lists the zip members that were not read, and why.",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="`{count, next, previous, results, skipped}`"), **API_KEY_ERRORS, **NOT_YET},
    )
    def get(self, request, job_id):
        job = services.job_get(profile=request.auth.profile, job_id=job_id)
        page = page_number(request)
        results = services.job_results_page(job=job, page=page)
        if page > 1 and not results:
            raise NotFound("No such page.")
        url = request.build_absolute_uri()
        last_page = -(-job.files_total // settings.JOB_RESULTS_PAGE_SIZE)
        return streaming_json_response(json_chunks({
            "count": job.files_total,
            "next": replace_query_param(url, "page", page + 1) if page < last_page else None,
            "previous": (replace_query_param(url, "page", page - 1) if page > 2 else remove_query_param(url, "page")) if page > 1 else None,
            "results": results,
            "skipped": job.skipped,
        }))


def page_number(request) -> int:
    text = request.query_params.get("page", "1")
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise NotFound("No such page.")
    return int(text)


class ReadJobArchiveApi(DicomApiView):
    @extend_schema(
        tags=["jobs"],
        description="A zip, streamed: for each file `<name>.json` (its object without `Images`) and "
        "`<name>/frame-0001.<png|jpg|gif>`...; names made safe (no `..`, no absolute path); `skipped.json`.",
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY), **API_KEY_ERRORS, **NOT_YET},
    )
    def get(self, request, job_id):
        return archive_response(services.job_get(profile=request.auth.profile, job_id=job_id))


def archive_response(job) -> StreamingHttpResponse:
    """The job's archive as a download (here, and on the portal's jobs page); Conflict until it succeeded."""
    response = StreamingHttpResponse(services.job_archive_chunks(job=job), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="job-{job.id}.zip"'
    return response
