from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import ERROR_RESPONSES
from developers.services import (
    api_key_create,
    api_key_delete,
    api_key_list,
    profile_create,
    profile_get,
    webhook_secret_rotate,
)


class ProfileOutputSerializer(serializers.Serializer):
    purpose = serializers.CharField()
    organization = serializers.CharField()
    webhook_secret = serializers.CharField(help_text="Signs your job callbacks (DICOM-API-Signature).")


class DeveloperProfileApi(APIView):
    """The caller's developer profile (Bearer token). One per account."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DeveloperProfileInput"

        # Only these two are writable: the owner, quotas and id never come from the body.
        purpose = serializers.CharField(max_length=255, allow_blank=True)
        organization = serializers.CharField(max_length=255, allow_blank=True)

    @extend_schema(responses={200: ProfileOutputSerializer, **ERROR_RESPONSES}, tags=["developers"])
    def get(self, request):
        return Response(ProfileOutputSerializer(profile_get(user=request.user)).data)

    @extend_schema(request=InputSerializer, responses={201: ProfileOutputSerializer, **ERROR_RESPONSES}, tags=["developers"])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = profile_create(user=request.user, **data.validated_data)
        return Response(ProfileOutputSerializer(profile).data, status=status.HTTP_201_CREATED)


class ApiKeyListCreateApi(APIView):
    """List and create API keys (Bearer token only: an API key cannot mint keys)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApiKeyInput"

        name = serializers.CharField(max_length=50)

    class ListItemSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApiKeyListItem"

        id = serializers.IntegerField()
        name = serializers.CharField()
        prefix = serializers.CharField()
        created = serializers.DateTimeField()
        last_used = serializers.DateTimeField(allow_null=True, help_text="When the key last authenticated a call (to the minute); null if never.")

    class CreatedSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApiKeyCreated"

        id = serializers.IntegerField()
        name = serializers.CharField()
        key = serializers.CharField(help_text="The full key, shown this once; only its hash is stored.")

    @extend_schema(responses={200: ListItemSerializer(many=True), **ERROR_RESPONSES}, tags=["developers"])
    def get(self, request):
        return Response(self.ListItemSerializer(api_key_list(user=request.user), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CreatedSerializer, **ERROR_RESPONSES}, tags=["developers"])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, key = api_key_create(user=request.user, name=data.validated_data["name"])
        return Response({"id": api_key.id, "name": api_key.name, "key": key}, status=status.HTTP_201_CREATED)


class ApiKeyDeleteApi(APIView):
    @extend_schema(responses={204: OpenApiResponse(description="Deleted; the key stops working at once."), **ERROR_RESPONSES}, tags=["developers"])
    def delete(self, request, key_id: int):
        api_key_delete(user=request.user, key_id=key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretRotateApi(APIView):
    """A new webhook secret (Bearer token): callbacks are signed with it from now on."""

    @extend_schema(request=None, responses={200: ProfileOutputSerializer, **ERROR_RESPONSES}, tags=["developers"])
    def post(self, request):
        profile = profile_get(user=request.user)
        webhook_secret_rotate(profile=profile)
        return Response(ProfileOutputSerializer(profile).data)
