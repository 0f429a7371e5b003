import os

from config.env import secret_key


def test_secret_key_is_made_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    path = tmp_path / ".secret_key"
    first = secret_key(path)
    assert len(first) >= 50 and secret_key(path) == first
    assert os.stat(path).st_mode & 0o777 == 0o600
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert secret_key(path) == "from-the-environment"
