from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from common.schema import ERROR_RESPONSES
from developers.authentication import ApiKeyAuthentication
from developers.services import profile_get
from usage.services import activity_summary

ActivitySummarySerializer = inline_serializer(
    "ActivitySummary",
    {
        "daily_activity": inline_serializer("DailyActivity", {"day": serializers.DateField(), "count": serializers.IntegerField()}, many=True),
        "monthly_total": serializers.IntegerField(),
        "by_endpoint": serializers.DictField(
            child=inline_serializer("EndpointUsage", {"count": serializers.IntegerField(), "quota": serializers.IntegerField(), "remaining": serializers.IntegerField()})
        ),
    },
)


class ActivitySummaryApi(APIView):
    """This month's calls (UTC), per day (days with calls only, oldest first) and per endpoint.

    A Bearer token or an API key (the key's developer), so a client holding only a key sees its usage."""

    authentication_classes = [JWTAuthentication, ApiKeyAuthentication]

    @extend_schema(
        responses={200: ActivitySummarySerializer, **ERROR_RESPONSES},
        tags=["developers"],
        examples=[
            OpenApiExample(
                "A month with one call",
                value={
                    "daily_activity": [{"day": "2025-01-05", "count": 1}],
                    "monthly_total": 1,
                    "by_endpoint": {
                        "/api/dicom/read/file/": {"count": 1, "quota": 1000, "remaining": 999},
                        "/api/dicom/generate/": {"count": 0, "quota": 1000, "remaining": 1000},
                    },
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        return Response(activity_summary(profile=profile_get(user=request.user)))
