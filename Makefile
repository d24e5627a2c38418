# Two commands for a newcomer: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test install migrate demo serve lint browser bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --no-input
	$(PY) manage.py compilemessages --ignore=.venv -v 0 2>/dev/null || true

demo: migrate
	$(PY) manage.py load_demo --if-empty

serve:
	$(PY) manage.py collectstatic --no-input -v 0
	$(VENV)/bin/daphne -b 127.0.0.1 -p $(PORT) config.asgi:application

## make run: set up, load the demo data once, serve pages, API and WebSockets on 127.0.0.1:$(PORT)
run: demo
	@$(PY) manage.py demo_logins
	@$(MAKE) --no-print-directory serve

# Browser tests drive Debian's chromium; install it when missing (needs root, as on CI).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium fonts-noto-cjk" >&2; exit 1; fi; }

## make test: the whole suite on whatever DATABASE_URL / REDIS_URL say (default: SQLite, in-memory layer)
test: install browser
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var staticfiles
