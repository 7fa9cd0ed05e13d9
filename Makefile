# Fusion Hub: `make demo` runs the hub with sample partners; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install system-deps kafka demo test check bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Debian packages the tests use: PostgreSQL, Chromium + driver, kcat. Root only; skipped
# where everything is already there.
system-deps:
	scripts/system-deps

kafka: install
	$(PY) -m hub broker fetch

demo: install kafka
	$(PY) -m hub demo

test: install system-deps kafka
	$(PY) -m pytest

check: install
	scripts/check

bench: install kafka
	$(PY) bench/validate.py
	$(PY) bench/pipeline.py
	$(PY) bench/connectors.py
	$(PY) bench/taxii.py

clean:
	-$(PY) -m hub broker stop
	rm -rf var
