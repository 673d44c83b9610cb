# Samverkanstorget: `make run` serves the site with demo data, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
PORT ?= 5000

.PHONY: install install-run run test test-fast translations lint messages bench bench-search screenshots clean

# What running the site needs (requirements.txt); `make test` adds the test tools.
install-run: $(RUN_STAMP)

$(RUN_STAMP): requirements.txt
	@echo "==> Python environment in $(VENV) (requirements.txt: what the site needs to run)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(RUN_STAMP)

install: $(STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	@echo "==> Test and lint tools (requirements-dev.txt)"
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Test-only tools from npm (package-lock.json): axe-core, the Nu Html Checker and Lighthouse for tests/browser (and make bench).
# --ignore-scripts: vnu-jar's postinstall would try to download a Java; Debian's java is used.
browser-tools: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: the browser tests will be skipped (apt-get install npm)"; \
	fi

translations: install-run
	@echo "==> Compiling the English translations"
	$(BIN)/pybabel compile --use-fuzzy -d translations -D messages >/dev/null

run: install-run translations
	mkdir -p instance
	@echo "==> Database: migrations, then the demo data if it is empty (instance/)"
	FLASK_DEBUG=1 $(FLASK) db upgrade
	FLASK_DEBUG=1 $(FLASK) seed-demo --if-empty
	@echo "==> Serving http://127.0.0.1:$(PORT) (e-mails: instance/mail/, worker runs alongside; Ctrl-C stops both)"
	FLASK_DEBUG=1 $(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	FLASK_DEBUG=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

# Screenshots of the main pages at 390x844, 768x1024 and 1366x900 into docs/screenshots/, from
# the demo site served on SCREENSHOT_PORT for the purpose (Debian's /usr/bin/chromium).
SCREENSHOT_PORT ?= 5099
screenshots: install translations
	mkdir -p instance
	FLASK_DEBUG=1 $(FLASK) db upgrade
	FLASK_DEBUG=1 $(FLASK) seed-demo --if-empty
	FLASK_DEBUG=1 $(FLASK) run --host 127.0.0.1 --port $(SCREENSHOT_PORT) --no-reload & server=$$!; \
	trap 'kill $$server 2>/dev/null' EXIT INT TERM; \
	for i in 1 2 3 4 5 6 7 8 9 10; do curl -fs -o /dev/null http://127.0.0.1:$(SCREENSHOT_PORT)/healthz && break; sleep 1; done; \
	$(BIN)/python scripts/screenshots.py --base-url http://127.0.0.1:$(SCREENSHOT_PORT)

# Tests in parallel (pytest-xdist), one process per core; the browser tests and the loaded demo
# each stay on one of them (tests/conftest.py). TEST_WORKERS=0: all in this one process.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

test: install translations browser-tools
	$(PYTEST) $(PYTEST_ARGS)

# The quick loop: all but the tests marked `slow` (demo replays, several servers, page-by-page
# browser sweeps), which `make test` and CI run.
test-fast: install translations browser-tools
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml -r marketplace app.py -ll

# Extract new strings and merge them into the English catalogue (then translate them there).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --ignore-dirs '.*' .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l en --no-fuzzy-matching --ignore-obsolete

# Benchmarks (not part of `make test`): bench/run.py builds 100,000 open ads, 20,000 organisations
# and 10,000 saved searches on SQLite and PostgreSQL (database `bench`, created if missing) and
# measures issue 17's search targets (a mix of 1,000 distinct searches through gunicorn and wrk:
# CPU per page, req/s and p95 against /healthz, one URL repeated, workers' memory, the CPU of a
# write, import + index time, progress bars on a terminal), matching, publishing, mail, page
# weight and Lighthouse; results in bench/results/latest.md and .json.
# Growth: make bench BENCH_ARGS="--size 300k" (or 1m): bench/results/growth-300k.md, growth.md.
# A small check of the set-up: make bench BENCH_ARGS="--sqlite-only --quick" (bench/tmp/quick.md).
bench: install translations browser-tools
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python -u bench/run.py $(BENCH_ARGS)

# The search benchmark alone: import time and search latency at 100,000 ads.
# PostgreSQL: make bench-search BENCH_ARGS="--database-url postgresql+psycopg://postgres@127.0.0.1/bench"
bench-search: install
	$(BIN)/python -u bench/search_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
