"""Registration, tokens, profile and keys through the client; usage with the key alone."""

import pytest
from conftest import CORPUS, PASSWORD

from dicom_api_client import AuthenticationError, Client, DicomApiError, InvalidRequest, NotFound


def test_a_developer_manages_keys_and_sees_usage_with_the_key_alone(new_developer, base_url):
    client, key = new_developer
    assert client.get_profile().organization == "Client tests"
    listed = client.list_keys()
    assert [(item.id, item.name, item.prefix) for item in listed] == [(key.id, "tests", key.key.split(".")[0])]
    with Client(key.key, base_url=base_url) as key_only:
        key_only.read(CORPUS / "CT_small.dcm", images=False)
        key_only.read(CORPUS / "MR_small.dcm", images=False)
        usage = key_only.usage()
    assert usage.monthly_total == 2 and sum(day.count for day in usage.daily_activity) == 2
    read = usage.by_endpoint["/api/dicom/read/file/"]
    assert (read.count, read.remaining) == (2, read.quota - 2)
    client.delete_key(key.id)
    with Client(key.key, base_url=base_url) as deleted, pytest.raises(AuthenticationError):
        deleted.usage()
    with pytest.raises(NotFound):
        client.delete_key(key.id)


def test_account_errors(new_developer, base_url):
    client, _ = new_developer
    with pytest.raises(InvalidRequest) as second_profile:
        client.create_profile("again", "again")
    assert second_profile.value.status_code == 400 and second_profile.value.message
    with Client(base_url=base_url) as anonymous:
        with pytest.raises(AuthenticationError):
            anonymous.login("nobody@example.com", "wrong-password-123")
        with pytest.raises(DicomApiError, match="login"):
            anonymous.list_keys()


def test_the_async_client_manages_accounts_too(base_url):
    import asyncio

    from dicom_api_client import AsyncClient

    async def session():
        async with AsyncClient(base_url=base_url) as client:
            await client.register("async-account@example.com", PASSWORD)
            await client.login("async-account@example.com", PASSWORD)
            await client.create_profile("testing", "Async")
            key = await client.create_key("async")
            listed = await client.list_keys()
            await client.delete_key(key.id)
            return key, listed, await client.list_keys(), (await client.get_profile()).organization

    key, listed, after, organization = asyncio.run(session())
    assert [item.id for item in listed] == [key.id] and after == [] and organization == "Async"
