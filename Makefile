# Samverkanstorget: `make run` serves the site with demo data, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast translations lint messages bench bench-search clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Test-only tools from npm (package-lock.json): axe-core and the Nu Html Checker for tests/browser.
# --ignore-scripts: vnu-jar's postinstall would try to download a Java; Debian's java is used.
browser-tools: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: the browser tests will be skipped (apt-get install npm)"; \
	fi

translations: install
	$(BIN)/pybabel compile --use-fuzzy -d translations -D messages >/dev/null

run: install translations
	mkdir -p instance
	FLASK_DEBUG=1 $(FLASK) db upgrade
	FLASK_DEBUG=1 $(FLASK) seed-demo --if-empty
	@echo "Serving http://127.0.0.1:5000 (e-mails: instance/mail/, worker runs alongside; Ctrl-C stops both)"
	FLASK_DEBUG=1 $(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	FLASK_DEBUG=1 $(FLASK) run --host 127.0.0.1 --port 5000

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
# measures pages through gunicorn and wrk, search, matching, publishing, mail delivery, page weight
# and Lighthouse against targets; results in bench/results/latest.md and .json.
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
