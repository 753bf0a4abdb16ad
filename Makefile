# `make demo` and `make test` set up the environment on a fresh clone (a .venv made with uv) and run.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Real datasets: ../shared/data when it is there, unless WORKBENCH_DATA is already set.
SHARED_DATA := $(abspath ../shared/data)
ifeq ($(origin WORKBENCH_DATA), undefined)
  ifneq ($(wildcard $(SHARED_DATA)),)
    export WORKBENCH_DATA := $(SHARED_DATA)
  endif
endif

.PHONY: setup demo lab test benchmark clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	uv venv --quiet --allow-existing --python python3 $(VENV)
	uv pip install --quiet --compile-bytecode --python $(PYTHON) -e '.[test]'
	@touch $(STAMP)

# The main job: the data-budget notebook on ML-1M (a grid sized for a 2-core CPU), its executed copy
# and a self-contained HTML report in reports/. Points are cached in reports/budget_curve.csv.
demo: $(STAMP)
	$(VENV)/bin/workbench run notebooks/02_data_budget.ipynb --output-dir reports -p report_path 02_data_budget.html --log-output

# JupyterLab on the notebooks (as root it needs --allow-root).
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

# The UI tests need Debian's chromium: installed when missing (required under CI=true, else skipped).
# Everything but the browser tests runs in TEST_WORKERS processes (pytest-xdist, a test file per
# process: module fixtures are built once); the browser tests then run alone, since one JupyterLab
# and one Chromium per worker would compete for the same cores. Both parts always run; the exit
# status is the first failing part's. The 25 slowest tests are listed at the end.
TEST_WORKERS ?= 2
test: $(STAMP)
	@./.ci/install-browser || { test "$$CI" != true && echo "make: no browser: the UI tests will be skipped"; }
	@$(PYTHON) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not ui" --durations=25; rest=$$?; \
	$(PYTHON) -m pytest -m ui; ui=$$?; \
	exit $$(( rest != 0 ? rest : ui ))

benchmark: $(STAMP)
	$(PYTHON) benchmarks/infinite_ae_ml1m.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
