import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, path, status",
    [
        ("get", "/nowhere/", 404),
        ("get", "/api/dicom/read/file", 404),
        ("get", "/api/register/", 405),
        ("put", "/api-keys/", 401),
        ("delete", "/api/dicom-format/allowed-fields/", 405),
        ("get", "/api-keys/", 401),
    ],
)
def test_errors_are_json(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


@pytest.mark.django_db
def test_bad_json_and_deeply_nested_json_are_400(client):
    assert client.post("/api/register/", "{not json", content_type="application/json").status_code == 400
    nested = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/register/", nested, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.django_db
def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_openapi_schema_describes_every_endpoint_and_both_auth_schemes(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    for path in [
        "/api/register/", "/api/token/", "/api/token/refresh/", "/api/developer/profiles/",
        "/api/developer/profiles/activity-summary/", "/api-keys/", "/api-keys/delete/{key_id}/",
        "/api/dicom-format/allowed-fields/", "/api/dicom-format/required-field-type/",
        "/api/dicom/read/file/", "/api/dicom/generate/", "/api/password/change/", "/api/account/",
    ]:
        assert path in schema["paths"], path
    schemes = schema["components"]["securitySchemes"]
    assert "ApiKey" in schemes and "jwtAuth" in schemes
    assert "Error" in schema["components"]["schemas"]
    assert client.get("/api/docs/").status_code == 200
