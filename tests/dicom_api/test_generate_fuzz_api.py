"""Seeded random keywords and values sent to /api/dicom/generate/: never a 5xx, always JSON or DICOM."""

import io
import random
from collections import Counter

import pydicom
import pytest
from PIL import Image

from developers.models import DeveloperProfile
from dicom_core.dictionary import all_keywords
from tests.conftest import api_key_header

pytestmark = pytest.mark.django_db
ODD_VALUES = ["", " ", "\\", "\\\\\\", "0", "-1", "1e400", "nan", "20240230", "1.2.3", "01.2", "a" * 70,
              "Müller^Jürgen", "東京", "\x00", "\r\n", "x\ty", "^^^^^^", "=", "2024", "235960", "-0", "+5"]


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (4, 4), 7).save(buffer, "PNG")
    return buffer.getvalue()


def test_random_metadata_never_answers_5xx(developer):
    DeveloperProfile.objects.filter(user__email=developer.email).update(generate_quota=10**6)
    rng = random.Random(20261128)
    keywords = all_keywords()
    statuses = Counter()
    for _ in range(400):
        fields = {rng.choice(keywords): rng.choice(ODD_VALUES + [str(rng.random() * 10 ** rng.randint(-5, 20))]) for _ in range(rng.randint(1, 3))}
        image = io.BytesIO(tiny_png())
        image.name = "i.png"
        response = developer.client.post(
            "/api/dicom/generate/", {"file_name": "fuzz", "image": image, **fields}, **api_key_header(developer.key)
        )
        statuses[response.status_code] += 1
        assert response.status_code < 500, (fields, response.content[:300])
        if response.status_code == 200:
            pydicom.dcmread(io.BytesIO(response.content))  # what we accept, we write readable
        else:
            assert response.json()["field"] in fields
    print(f"\ngenerate fuzz: {dict(sorted(statuses.items()))}")
    assert statuses[200] and statuses[400]
