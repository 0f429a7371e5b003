"""The keyword dictionary: which DICOM keywords the API takes, and the Python type of each."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import ERROR_RESPONSES
from dicom_api.serializers import BooleanOption
from dicom_core.dictionary import DICOM_VERSION, all_keyword_details, all_keyword_types, all_keywords, filter_keywords

KEYWORD_FILTERS = ["contains", "startswith", "endswith", "regex", "icontains", "istartswith", "iendswith", "iregex"]


class AllowedFieldsApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["dicom-format"],
        parameters=[
            OpenApiParameter(
                f"fields__{name}",
                str,
                description=(
                    "Keywords matching this regular expression (RE2 syntax, linear time, at most 200 characters)"
                    if name.endswith("regex")
                    else f"Keywords that {name.removeprefix('i')} this text"
                )
                + (", ignoring case." if name.startswith("i") else ", case-sensitive."),
            )
            for name in KEYWORD_FILTERS
        ],
        responses={
            200: inline_serializer("AllowedFields", {"allowedFields": serializers.ListField(child=serializers.CharField()), "dicomVersion": serializers.CharField()}),
            400: ERROR_RESPONSES[400],
        },
        examples=[OpenApiExample("Patient keywords", value={"allowedFields": ["PatientName", "PatientID"], "dicomVersion": DICOM_VERSION}, response_only=True)],
    )
    def get(self, request):
        filters = {name: request.query_params[f"fields__{name}"] for name in KEYWORD_FILTERS if f"fields__{name}" in request.query_params}
        return Response({"allowedFields": filter_keywords(all_keywords(), **filters), "dicomVersion": DICOM_VERSION})


class DetailQuery(serializers.Serializer):
    detail = BooleanOption(required=False, default=False)


class RequiredFieldTypeApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["dicom-format"],
        parameters=[OpenApiParameter("detail", bool, description="true: each keyword maps to {type, vr, vm, tag, name, retired}.")],
        responses={
            200: inline_serializer("RequiredFieldTypes", {"requiredFieldTypes": serializers.DictField(), "dicomVersion": serializers.CharField()}),
            400: ERROR_RESPONSES[400],
        },
        examples=[
            OpenApiExample("Types", value={"requiredFieldTypes": {"PatientName": "str", "Rows": "int", "WindowCenter": "list[float]"}, "dicomVersion": DICOM_VERSION}, response_only=True),
        ],
    )
    def get(self, request):
        query = DetailQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        detail = query.validated_data["detail"]
        types = all_keyword_details() if detail else all_keyword_types()
        return Response({"requiredFieldTypes": types, "dicomVersion": DICOM_VERSION})
