"""A few thousand seeded mutations of corpus files sent through HTTP: never a 5xx, always JSON."""

import io
from collections import Counter

import pytest

from developers.models import DeveloperProfile
from tests.conftest import api_key_header
from tests.dicom_core.test_mutations import SOURCES, mutated

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore")]
CASES_PER_SOURCE = 200  # x 11 sources = 2,200 requests


def test_mutated_uploads_never_answer_5xx(developer):
    DeveloperProfile.objects.filter(user__email=developer.email).update(read_file_quota=10**6)
    statuses = Counter()
    failures = []
    for name in SOURCES:
        for seed in range(CASES_PER_SOURCE):
            upload = io.BytesIO(mutated(name, 10_000 + seed))
            upload.name = name
            response = developer.client.post(
                "/api/dicom/read/file/", {"file": upload, "max_size": "64"}, **api_key_header(developer.key)
            )
            statuses[response.status_code] += 1
            if response.status_code >= 500 or response["Content-Type"] != "application/json" or "error" not in response.json() and response.status_code != 200:
                failures.append((name, seed, response.status_code, response.content[:200]))
    print(f"\nmutation test: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}")
    assert failures == []
    assert statuses[200] > 0 and statuses[400] > 0  # the mutations reach both outcomes
