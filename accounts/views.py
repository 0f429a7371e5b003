from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import login_throttle
from accounts.models import User
from accounts.services import user_change_password, user_create, user_delete
from common.client_address import client_address
from common.schema import ERROR_RESPONSES


class RegisterApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RegisterInput"

        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RegisterOutput"

        id = serializers.IntegerField()
        email = serializers.EmailField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, **ERROR_RESPONSES}, tags=["accounts"])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_create(**data.validated_data)
        return Response(self.OutputSerializer(user).data, status=status.HTTP_201_CREATED)


TokenPairSerializer = inline_serializer("TokenPair", {"refresh": serializers.CharField(), "access": serializers.CharField()})


class TokenObtainApi(APIView):
    """Email and password for a refresh and an access token; failed logins are throttled."""

    authentication_classes = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenObtainInput"

        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True)

    @extend_schema(request=InputSerializer, responses={200: TokenPairSerializer, **ERROR_RESPONSES}, tags=["accounts"])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email, password = data.validated_data["email"], data.validated_data["password"]
        client = client_address(request)

        wait = login_throttle.seconds_until_allowed(client, email)
        if wait:
            raise Throttled(wait=wait, detail="Too many failed logins. Try again later.")
        user = authenticate(request, email=email.strip().lower(), password=password)
        if user is None:
            login_throttle.record_failure(client, email)
            # One body for an unknown email, a wrong password and an inactive account.
            raise AuthenticationFailed("No active account found with the given credentials.")
        login_throttle.clear_client_failures(client, email)
        refresh = RefreshToken.for_user(user)
        return Response({"refresh": str(refresh), "access": str(refresh.access_token)})


class CheckedTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt 5.5.1's refresh, closing its gaps: a deleted user's token answered 500, and a
    token issued before a password change kept minting access tokens."""

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: refresh.payload.get(jwt_settings.USER_ID_CLAIM)}).first()
        if user is None or not user.is_active:
            raise AuthenticationFailed("No active account found for the given token.")
        if refresh.payload.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The token was revoked by a password change.")
        return super().validate(attrs)


class TokenRefreshApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenRefreshSerializer, responses={200: TokenPairSerializer, **ERROR_RESPONSES}, tags=["accounts"])
    def post(self, request):
        serializer = CheckedTokenRefreshSerializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as error:
            raise AuthenticationFailed(str(error)) from None
        return Response(serializer.validated_data)


class PasswordChangeApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PasswordChangeInput"

        old_password = serializers.CharField(max_length=128)
        new_password = serializers.CharField(max_length=128)

    @extend_schema(request=InputSerializer, responses={204: OpenApiResponse(description="Changed; older tokens stop working."), **ERROR_RESPONSES}, tags=["accounts"])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_change_password(user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountDeleteApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccountDeleteInput"

        password = serializers.CharField(max_length=128)

    @extend_schema(request=InputSerializer, responses={204: OpenApiResponse(description="Deleted with its profile and keys."), **ERROR_RESPONSES}, tags=["accounts"])
    def delete(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_delete(user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)
