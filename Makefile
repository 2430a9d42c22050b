# `make run` starts the gateway on http://localhost:8000 against the built-in Bedrock
# emulator; `make test` runs the whole test suite; `make bench` the benchmark.
# All create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

# npm installs the pinned command-line clients the e2e tests run (tests/clients), when it is there.
$(STAMP): requirements.txt requirements-dev.txt setup.py tests/clients/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	if command -v npm >/dev/null; then npm ci --prefix tests/clients --no-audit --no-fund --loglevel=error; fi
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m app.local

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) *.egg-info
