# Customer Groups — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format bench bench-estimate bench-notify bench-import load messages screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The dashboard's port: make run PORT=8080.
PORT ?= 8000
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Customer Groups: http://127.0.0.1:$(PORT)/"
	@echo "  Sign in as demo / demo-password (editor), viewer / demo-password,"
	@echo "  other / demo-password (another partner); support / demo-password"
	@echo "  for the support admin at http://127.0.0.1:$(PORT)/admin/"
	@echo "  API reference: http://127.0.0.1:$(PORT)/api/v1/docs (tokens: Settings >"
	@echo "  API tokens, or manage.py api_token_create; see the README's API section)"
	@echo "  Web server, Celery worker, Celery beat and the local WNS stand-in"
	@echo "  (push notifications, port 8600) start below; Ctrl-C stops all four."
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile.dev start --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Needs DATABASE_URL=postgres://… of a scratch database (it seeds 1M customers,
# and each size of SIZES in turn for the growth part:
# make bench SIZES=250000,1000000,4000000).
SIZES ?= 250000,1000000
bench: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bench_segments --sizes $(SIZES)

# Needs DATABASE_URL=postgres://… of a scratch database (the same 1M customers
# as `make bench`): the sampled live estimate against the exact count.
bench-estimate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bench_estimate

# Needs DATABASE_URL=postgres://… of a scratch database (the same 1M customers
# as `make bench`): one notification to 100,000 channels at a local WNS
# stand-in, with 1 and 2 workers, against a bare HTTP client.
bench-notify: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bench_notify

# Needs DATABASE_URL=postgres://… of a scratch database without customers:
# import_customers of a generated ROWS-line CSV, into empty tables and again
# as updates, against a bare COPY of the same file; removes what it created.
ROWS ?= 1000000
bench-import: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bench_import --rows $(ROWS)

# Needs DATABASE_URL=postgres://… of a scratch database (it seeds CUSTOMERS
# customers). gunicorn, a Celery worker and locust on 127.0.0.1 only, bounded
# in time; every process it starts is stopped on the way out.
CUSTOMERS ?= 1000000
USERS ?= 16
SECONDS ?= 60
load: install
	$(BIN)/python manage.py load_dashboard --customers $(CUSTOMERS) --users $(USERS) --seconds $(SECONDS)

# The README's pictures: seeds the demo data into a test database, then
# photographs the main pages into docs/screenshots/ (needs Chromium).
screenshots: install
	$(BIN)/python -m pytest -p no:cacheprovider -q tests/browser/screenshots.py

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	$(BIN)/python manage.py makemessages --locale fr --ignore ".venv/*" --ignore "var/*" --ignore "tests/*" --no-obsolete
	$(BIN)/python manage.py compilemessages --locale fr --ignore ".venv/*"
