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

install: $(INSTALLED)

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(VENV)/bin/honcho start -f Procfile -p $(PORT)  # gunicorn and a job worker (Procfile)

test: install
	$(PY) -m pytest -n 2 -q

superuser: migrate
	$(PY) manage.py createsuperuser

bench: install
	$(PY) bench/run.py
	$(PY) bench/transcode.py
	$(PY) bench/jobs.py

bench-jobs: install
	$(PY) bench/jobs.py

bench-smoke: install
	$(PY) bench/run.py --smoke
