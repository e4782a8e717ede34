# carbonpeak: `make demo` runs the demo district end to end; `make test` passes the tests.
# Both set up everything they need on a fresh machine (a virtual environment from uv.lock).
PY ?= python3
UV := .uv/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

.PHONY: setup setup-dev demo test lint typecheck bench clean

$(UV):
	$(PY) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

.venv/.core-installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --inexact --python $(PY)
	touch $@

.venv/.dev-installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python $(PY)
	touch $@ .venv/.core-installed

setup: .venv/.core-installed      ## runtime environment

setup-dev: .venv/.dev-installed   ## runtime + tests, lint, Spark

demo: setup                       ## build the demo district, import it, run the account
	.venv/bin/carbonpeak demo $(DEMO_ARGS)

test: setup-dev                   ## lint, type-check, then the whole test suite (SQLite; PostgreSQL if configured)
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/mypy
	.venv/bin/pytest $(PYTEST_ARGS)

lint: setup-dev
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/ruff format --check src tests benchmarks

typecheck: setup-dev
	.venv/bin/mypy

bench: setup-dev                  ## account benchmark (see docs/benchmarks.md); BENCH_ARGS=--buildings 5000
	.venv/bin/python benchmarks/bench_account.py $(BENCH_ARGS)

clean:
	rm -rf .venv .uv carbonpeak-data .pytest_cache .ruff_cache
