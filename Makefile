# sodbench developer commands. Everything installs into .venv; torch is pinned to the CPU build.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_PIN := torch==2.13.0

.PHONY: install tex browser test demo bench lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PIN)
	$(PY) -m pip install --quiet -e ".[all]" $(TORCH_PIN)
	touch $@

install: $(VENV)/.installed

# The LaTeX tables are compiled by a test; on a root Debian machine (CI) pdflatex is installed
# when missing, elsewhere that one test skips with its reason.
tex:
	@command -v pdflatex >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  --no-install-recommends texlive-latex-recommended >/dev/null; } \
	  || echo "note: pdflatex not installed; the LaTeX compile test will skip"

# The report's browser tests drive Debian's headless Chromium through its chromedriver; on a
# root Debian machine (CI) both are installed when missing, elsewhere those tests skip with
# their reason.
browser:
	@{ command -v chromium >/dev/null && command -v chromedriver >/dev/null; } \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  --no-install-recommends chromium chromium-driver >/dev/null; } \
	  || echo "note: chromium/chromedriver not installed; the report's browser tests will skip"

test: install tex browser
	$(PY) -m pytest -q -n auto

demo: install
	$(VENV)/bin/sodbench demo --out demo_output

bench: install
	$(PY) benchmarks/metrics_speed.py
	$(PY) benchmarks/eval_speed.py
	$(PY) benchmarks/minet_speed.py
	$(PY) benchmarks/subsets_cost.py

lint: install
	$(VENV)/bin/ruff check sodbench minet_ref tests benchmarks scripts

clean:
	rm -rf $(VENV) demo_output .pytest_cache
