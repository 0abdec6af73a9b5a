# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PARITY_STAMP := $(VENV)/.installed-parity

.PHONY: run test parity bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(PIP) install --quiet -e ".[test]"
	touch $@

$(PARITY_STAMP): $(TEST_STAMP)
	$(PIP) install --quiet "torch==2.13.0"
	touch $@

run: $(STAMP)
	$(VENV)/bin/studio

test: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

parity: $(PARITY_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider -m parity

bench: $(PARITY_STAMP)
	$(PY) bench/op_overhead.py && $(PY) bench/engine_vs_torch.py

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info
