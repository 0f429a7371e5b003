"""Retries, against a stub server: which answers are retried, how long the client waits, and
which are raised at once."""

import pytest
from conftest import CORPUS
from stub_server import DROP, Reply

from dicom_api_client import APIConnectionError, Client, InvalidRequest, QuotaExceeded, RateLimited, ServerError

READ = "/api/dicom/read/file/"
TOKEN = "/api/token/"
ANSWER = {"Modality": "CT", "ImageFormat": "PNG", "Images": []}


def gaps(calls) -> list[float]:
    return [later.at - earlier.at for earlier, later in zip(calls, calls[1:])]


def test_503_with_retry_after_is_waited_out_twice_then_succeeds(stub, stub_client):
    unavailable = Reply(503, {"error": "Down for a moment."}, {"Retry-After": "1"})
    stub.script("POST", READ, unavailable, unavailable, Reply(200, ANSWER))
    assert stub_client.read(CORPUS / "CT_small.dcm").metadata == {"Modality": "CT"}
    calls = stub.calls("POST", READ)
    assert len(calls) == 3
    assert all(gap >= 0.95 for gap in gaps(calls))  # Retry-After: 1 honoured each time
    upload = (CORPUS / "CT_small.dcm").read_bytes()
    assert all(upload in call.body for call in calls)  # the file sent again whole on each retry


def test_502_and_504_back_off_and_give_up_after_max_retries(stub, stub_client):
    stub.script("POST", READ, Reply(502, "<html>bad gateway</html>"), Reply(504, {"error": "Timed out."}), Reply(504, {"error": "Timed out."}))
    with pytest.raises(ServerError) as failed:
        stub_client.read(b"DICM")
    assert failed.value.status_code == 504 and failed.value.message == "Timed out."
    assert len(stub.calls("POST", READ)) == 3
    first, second = gaps(stub.calls("POST", READ))
    assert first >= 0.5 * 0.75 and second >= 1.0 * 0.75  # exponential backoff, jitter at most -25%


def test_a_400_is_sent_once(stub, stub_client):
    stub.script("POST", READ, Reply(400, {"error": "Unknown keyword 'Foo'.", "field": "fields"}), Reply(200, ANSWER))
    with pytest.raises(InvalidRequest) as refused:
        stub_client.read(b"DICM", fields="Foo")
    assert refused.value.message == "Unknown keyword 'Foo'." and refused.value.field == "fields"
    assert len(stub.calls("POST", READ)) == 1


def test_a_500_is_not_retried(stub, stub_client):
    stub.script("POST", READ, Reply(500, {"error": "Internal error."}), Reply(200, ANSWER))
    with pytest.raises(ServerError):
        stub_client.read(b"DICM")
    assert len(stub.calls("POST", READ)) == 1


def test_a_login_throttle_with_a_short_retry_after_is_retried(stub):
    throttled = Reply(429, {"error": "Too many failed logins. Try again later."}, {"Retry-After": "1"})
    stub.script("POST", TOKEN, throttled, Reply(200, {"access": "a", "refresh": "r"}))
    with Client(base_url=stub.url) as own_client:
        own_client.login("someone@example.com", "password")
        assert own_client.token == "a"
    calls = stub.calls("POST", TOKEN)
    assert len(calls) == 2 and gaps(calls)[0] >= 0.95


def test_a_throttle_asking_a_long_wait_is_raised_at_once(stub):
    stub.script("POST", TOKEN, Reply(429, {"error": "Too many failed logins. Try again later."}, {"Retry-After": "900"}))
    with Client(base_url=stub.url) as own_client, pytest.raises(RateLimited) as throttled:
        own_client.login("someone@example.com", "password")
    assert throttled.value.retry_after == 900 and not isinstance(throttled.value, QuotaExceeded)
    assert len(stub.calls("POST", TOKEN)) == 1


def test_the_monthly_quota_is_raised_at_once_never_waited_out(stub, stub_client):
    refusal = {"error": "Monthly API request for '/api/dicom/read/file/' limit exceeded.", "quota": 1000, "requests_used": 1001}
    stub.script("POST", READ, Reply(429, refusal, {"Retry-After": "1", "X-RateLimit-Reset": "1798761600"}), Reply(200, ANSWER))
    with pytest.raises(QuotaExceeded) as exceeded:
        stub_client.read(b"DICM")
    assert (exceeded.value.quota, exceeded.value.requests_used, exceeded.value.reset) == (1000, 1001, 1798761600)
    assert exceeded.value.message == refusal["error"]
    assert len(stub.calls("POST", READ)) == 1


def test_a_dropped_connection_is_retried_and_a_file_object_sent_again(stub, stub_client):
    stub.script("POST", READ, DROP, Reply(200, ANSWER))
    with open(CORPUS / "MR_small.dcm", "rb") as handle:
        assert stub_client.read(handle).metadata == {"Modality": "CT"}
    upload = (CORPUS / "MR_small.dcm").read_bytes()
    assert [upload in call.body for call in stub.calls("POST", READ)] == [True, True]


def test_an_unreachable_server_is_a_connection_error(stub):
    with Client("prefix.secret", base_url="http://127.0.0.1:9", max_retries=1) as own_client, pytest.raises(APIConnectionError, match="127.0.0.1:9"):
        own_client.read(b"DICM")


def test_retries_can_be_turned_off(stub):
    stub.script("POST", READ, Reply(503, {"error": "Down."}, {"Retry-After": "1"}), Reply(200, ANSWER))
    with Client("prefix.secret", base_url=stub.url, max_retries=0) as own_client, pytest.raises(ServerError):
        own_client.read(b"DICM")
    assert len(stub.calls("POST", READ)) == 1
