# Two commands do everything on a fresh machine:
#   make demo   - install into .venv, run pglint on the bundled fixtures + a runtime audit demo
#   make test   - install into .venv, run the full test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.pglint-installed

.PHONY: demo test lint realcode catalog clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: 2.13.0 is the local CPU wheel; pglint itself only declares a wide range.
	# numpy too: without it torch warns "Failed to initialize NumPy" on import
	$(PY) -m pip install --quiet --disable-pip-version-check "torch==2.13.0" numpy
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[runtime,lsp,dev]"
	touch $(STAMP)

demo: $(STAMP)
	@echo "== static pass: pglint check fixtures/ (exit 1 = findings, as expected) =="
	-$(VENV)/bin/pglint check fixtures/
	@echo
	@echo "== runtime audit: python fixtures/runtime_demo.py =="
	$(PY) -W "ignore:Failed to initialize NumPy" fixtures/runtime_demo.py

test: $(STAMP)
	$(PY) -m pytest -q tests

lint: $(STAMP)
	$(VENV)/bin/ruff check pglint tests scripts
	$(VENV)/bin/pglint check .

realcode: $(STAMP)
	$(PY) scripts/realcode.py

catalog: $(STAMP)
	$(PY) scripts/gen_catalog.py

clean:
	rm -rf $(VENV) build *.egg-info
