"""OpenAPI pieces shared by every endpoint: the error body and the API key scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    "Error",
    {
        "error": serializers.CharField(help_text="One sentence a developer can act on."),
        "field": serializers.CharField(required=False, help_text="The request field at fault, when there is one."),
        "limit": serializers.CharField(required=False, help_text="The limit passed (413 only)."),
    },
)


def error_example(description: str, example: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=ErrorSerializer,
        description=description,
        examples=[OpenApiExample(description, value={"error": example})],
    )


ERROR_RESPONSES = {
    400: error_example("Bad input", "email: Enter a valid email address."),
    401: error_example("No valid credential", "Authentication credentials were not provided."),
    404: error_example("Not found, or not yours", "Not found."),
    429: error_example("Quota or throttle", "Too many failed logins. Try again later."),
}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "developers.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: ApiKey <prefix>.<secret>`, the key shown once when it was created.",
        }
