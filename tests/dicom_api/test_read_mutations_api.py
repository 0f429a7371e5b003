"""Seeded mutations of the corpus sent through HTTP (the core meets thousands more in
tests/dicom_core/test_fuzz.py): never a 5xx, always JSON, never slower than 10 s."""

import io
import time
from collections import Counter

import pytest

from developers.models import DeveloperProfile
from tests.conftest import api_key_header
from tests.dicom_core.fuzz import MUTATIONS, mutated
from tests.dicom_core.test_fuzz import MAX_SECONDS, SEED, mutants

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore")]
REQUESTS = 320


def test_mutated_uploads_never_answer_5xx(developer):
    DeveloperProfile.objects.filter(user__email=developer.email).update(read_file_quota=10**6)
    statuses = Counter()
    failures = []
    slowest = 0.0
    for name, seed in mutants(SEED + 1, REQUESTS):
        upload = io.BytesIO(mutated(name, seed))
        upload.name = name
        started = time.monotonic()
        response = developer.client.post(
            "/api/dicom/read/file/", {"file": upload, "max_size": "64", "frames": "1"}, **api_key_header(developer.key)
        )
        slowest = max(slowest, time.monotonic() - started)
        statuses[response.status_code] += 1
        if response.status_code >= 500 or response["Content-Type"] != "application/json" or "error" not in response.json() and response.status_code != 200:
            failures.append((name, seed, MUTATIONS[seed % len(MUTATIONS)].__name__, response.status_code, response.content[:200]))
    print(f"\nHTTP fuzz (FUZZ_SEED={SEED}): {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}, slowest {slowest:.2f} s")
    assert failures == []
    assert slowest < MAX_SECONDS
    assert statuses[200] > 0 and statuses[400] > 0  # the mutations reach both outcomes
