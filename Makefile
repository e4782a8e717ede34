# carbonpeak: `make demo` runs the demo district end to end; `make test` passes the tests.
# Both set up everything they need on a fresh machine (a virtual environment from uv.lock).
PY ?= python3
UV := .uv/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
# compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on these machines) nothing is
# cached at import, and every process compiled each module it imports again (the API app:
# 7.5 s to import, 3.2 s with compiled packages)
export UV_COMPILE_BYTECODE := 1

.PHONY: compile setup setup-dev system-packages runtime-system-packages opendsm-env demo test lint typecheck bench clean

$(UV):
	$(PY) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

.venv/.core-installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --inexact --python $(PY)
	touch $@

.venv/.dev-installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python $(PY)
	touch $@ .venv/.core-installed

# the dashboard's libraries (ECharts, MapLibre GL) and the API docs' (Swagger UI) from npm, exactly
# as package-lock.json says; no install scripts run (none is needed; swagger-ui-dist pulls in
# a telemetry post-install, which scarfSettings in package.json also turns off)
frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	npm ci --prefix frontend --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# OpenDSM (OpenEEmeter) for the M&V cross-check, in its own environment: it needs pandas<3
.venv-opendsm/.installed: $(UV) tools/opendsm/requirements.txt
	$(UV) venv --allow-existing .venv-opendsm --python $(PY)
	$(UV) pip install --python .venv-opendsm/bin/python -r tools/opendsm/requirements.txt
	touch $@

opendsm-env: .venv-opendsm/.installed   ## OpenDSM 1.2.7 for tests/test_mv_opendsm.py and benchmarks/bench_mv.py

# reports and PDFs need a CJK font and Pango (WeasyPrint); the browser tests drive Debian's
# Chromium and the PDF tests read pages back with poppler (pdftotext, pdftoppm)
RUNTIME_SYSTEM_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
SYSTEM_PACKAGES := $(RUNTIME_SYSTEM_PACKAGES) chromium poppler-utils
runtime-system-packages: PKGS = $(RUNTIME_SYSTEM_PACKAGES)
system-packages: PKGS = $(SYSTEM_PACKAGES)
runtime-system-packages system-packages:
	@missing=$$(for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# the dashboard's strings, from the message catalogue (committed; tests/test_i18n.py checks it)
src/carbonpeak/web/static/js/messages.generated.js: .venv/.core-installed src/carbonpeak/i18n/catalogue/web.json src/carbonpeak/web/messages.py
	PYTHONPATH=src .venv/bin/python -m carbonpeak.web.messages

setup: .venv/.core-installed frontend/node_modules/.installed runtime-system-packages src/carbonpeak/web/static/js/messages.generated.js  ## runtime environment and dashboard assets
	.venv/bin/python -m carbonpeak.web.constants    # the dashboard's constants.js from the vocabulary

setup-dev: .venv/.dev-installed frontend/node_modules/.installed system-packages opendsm-env  ## + tests, lint, Spark, Chromium, OpenDSM

# our own modules compiled too (a module changed since is compiled again in memory on import)
compile: .venv/.core-installed
	.venv/bin/python -m compileall -q -j 2 src

demo: setup compile               ## build the demo district, import it, run the account
	.venv/bin/carbonpeak demo $(DEMO_ARGS)

test: setup-dev compile           ## lint, layers, type-check, then the whole suite on both cores (SQLite; the contract tests also on PostgreSQL if configured)
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/lint-imports
	.venv/bin/mypy
	.venv/bin/pytest -n 2 --dist loadscope --no-loadscope-reorder $(PYTEST_ARGS)

lint: setup-dev
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/lint-imports
	.venv/bin/ruff format --check src tests benchmarks

typecheck: setup-dev
	.venv/bin/mypy

bench: setup-dev                  ## account benchmark (see docs/benchmarks.md); BENCH_ARGS=--buildings 5000
	.venv/bin/python benchmarks/bench_account.py $(BENCH_ARGS)

clean:
	rm -rf .venv .venv-opendsm .uv carbonpeak-data .pytest_cache .ruff_cache frontend/node_modules test-artifacts
