# Fusion Hub: `make demo` runs the hub with sample partners; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install native pure system-deps kafka demo test check bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# The hot path compiled with mypyc (hub/native.py): what the hub runs, the tests test and the
# benches measure. Rebuilt when a compiled module's source changed; `make pure` removes it.
NATIVE_SOURCES := $(shell $(PYTHON) -c "import sys; sys.path.insert(0, '.'); from hub.native import NATIVE_MODULES, source_of; print(' '.join(str(source_of(m)) for m in NATIVE_MODULES))" 2>/dev/null)

native: build/native.stamp

build/native.stamp: $(VENV)/.installed setup.py hub/native.py $(NATIVE_SOURCES)
	scripts/build-native
	touch $@

pure:
	$(PY) -c "import hub.native as n; [p.unlink() for p in n.built_extensions()]"
	rm -f build/native.stamp

# Debian packages the tests use: PostgreSQL, Chromium + driver, kcat; and gcc for `native`.
# Root only; skipped where everything is already there.
system-deps:
	scripts/system-deps

kafka: install
	$(PY) -m hub broker fetch

demo: native kafka
	$(PY) -m hub demo

test: system-deps native kafka
	$(PY) -m pytest

check: install  # scripts/check builds the hot path itself
	scripts/check

bench: native kafka
	$(PY) bench/validate.py
	$(PY) bench/pipeline.py
	$(PY) bench/connectors.py
	$(PY) bench/taxii.py
	$(PY) bench/resharing.py

clean:
	-$(PY) -m hub broker stop
	rm -rf var
