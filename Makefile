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
	$(PY) -m config.serve --host 127.0.0.1 --port $(PORT)

## make run: set up, load the demo data once, serve pages, API and WebSockets on 127.0.0.1:$(PORT)
run: demo
	@$(PY) manage.py demo_logins
	@$(MAKE) --no-print-directory serve

# Debian packages the system needs beyond Python: chromium for the browser tests (Playwright),
# Pango and HarfBuzz for WeasyPrint's PDFs, fonts-noto-cjk so both render Chinese. Installed when
# missing (needs root, as on CI).
SYSTEM_PACKAGES := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
browser:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages: sudo apt-get install" $$missing >&2; exit 1; fi; \
	fi

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
