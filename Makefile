# btecqa: `make run` serves the demo centre, `make test` runs the whole suite.
# Both start with `make install`, which builds .venv/ with this machine's python3
# from the lock file (uv.lock); re-running them changes nothing that is already done.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
UV_VERSION := 0.13.9
HOST   ?= 127.0.0.1
PORT   ?= 8000

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test bench lint migrate demo worker beat clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --locked --inexact --python $(PY) --quiet
	@touch $@

migrate: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=$${DEBUG:-true} $(PY) manage.py load_demo

run: demo
	@echo "btecqa is serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	DEBUG=$${DEBUG:-true} $(PY) benchmarks/run.py

lint: install
	$(PY) -m ruff check .

worker: install
	$(VENV)/bin/celery -A btecqa worker --loglevel=info

beat: install
	$(VENV)/bin/celery -A btecqa beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 var/
