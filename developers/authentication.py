from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from developers.models import DeveloperAPIKey
from developers.services import api_key_mark_used

KEYWORD = "apikey"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: ApiKey <prefix>.<secret>` (scheme name case-insensitive).

    Returns the key's owner as the user and the key as `request.auth`; another scheme is not
    ours (None), a bad key of ours is a 401.
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != KEYWORD:
            return None
        key = key.strip()
        if not key or len(key) > 200 or " " in key:
            raise AuthenticationFailed("Malformed API key. Send `Authorization: ApiKey <prefix>.<secret>`.")
        try:
            api_key = DeveloperAPIKey.objects.get_from_key(key)
        except DeveloperAPIKey.DoesNotExist:
            raise AuthenticationFailed("Invalid API key.") from None
        if api_key.has_expired or not api_key.profile.user.is_active:
            raise AuthenticationFailed("Invalid API key.")
        api_key_mark_used(api_key=api_key)
        return api_key.profile.user, api_key

    def authenticate_header(self, request):
        return "ApiKey"
