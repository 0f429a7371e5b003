from django.core.management import call_command


def test_openapi_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/dicom/read/file/" in (tmp_path / "schema.yaml").read_text()
