# Two commands set everything up: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
PORT ?= 8080

.PHONY: install run test bench bench-smoke bench-jobs migrate superuser

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(INSTALLED)

# The Python client (client/), installed from the repository as a user installs it; reinstalled
# when its sources change, so the tests never run a stale copy.
CLIENT_INSTALLED := $(VENV)/.client-installed
$(CLIENT_INSTALLED): $(INSTALLED) client/pyproject.toml $(shell find client/src -type f)
	$(PY) -m pip install --quiet -c constraints.txt ./client
	touch $(CLIENT_INSTALLED)

install: $(INSTALLED) $(CLIENT_INSTALLED)

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(VENV)/bin/honcho start -f Procfile -p $(PORT)  # gunicorn and a job worker (Procfile)

test: install
	$(PY) -m pytest -n 2 -q
	cd client && ../$(PY) -m pytest -q  # the client's own suite (its own rootdir), against a real server

superuser: migrate
	$(PY) manage.py createsuperuser

bench: install
	$(PY) bench/run.py
	$(PY) bench/jobs.py

bench-jobs: install
	$(PY) bench/jobs.py

bench-smoke: install
	$(PY) bench/run.py --smoke
