# sodbench developer commands. Everything installs into .venv; torch is pinned to the CPU build.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_PIN := torch==2.13.0

.PHONY: install test demo bench lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PIN)
	$(PY) -m pip install --quiet -e ".[all]" $(TORCH_PIN)
	touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest -q

demo: install
	$(VENV)/bin/sodbench demo --out demo_output

bench: install
	$(PY) benchmarks/metrics_speed.py
	$(PY) benchmarks/eval_speed.py
	$(PY) benchmarks/minet_speed.py

lint: install
	$(VENV)/bin/ruff check sodbench minet_ref tests benchmarks

clean:
	rm -rf $(VENV) demo_output .pytest_cache
