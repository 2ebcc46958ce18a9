# Two entry points for a fresh machine with Python 3.11+, git and make:
#   make demo   — build the environment, migrate and seed ./var/demo.db, serve on http://127.0.0.1:8000
#   make test   — build the environment and run the whole test suite
PYTHON ?= python3
UV_HOME := .uv
UV := $(UV_HOME)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# The suite runs on two processes (pytest-xdist), one test file each: about 30 minutes instead of 50.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: demo test env lint clean

$(UV):
	$(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/pip install --quiet "uv>=0.5"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	touch $@

env: $(VENV)/.synced

demo: env
	$(VENV)/bin/caoyuan demo

test: env
	$(VENV)/bin/pytest $(PYTEST_ARGS)

CODE := src coop storefront streaming tests benchmarks .ci

lint: env
	$(VENV)/bin/ruff check $(CODE)
	$(VENV)/bin/ruff format --check $(CODE)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python .ci/mypy_baseline.py

clean:
	rm -rf $(VENV) $(UV_HOME) var .pytest_cache
