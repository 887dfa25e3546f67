# Two commands on a fresh machine: `make demo` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The demo's e-mails (receipts, assignments, decisions) are written to files in sent-emails/.
DEMO_ENV := DJANGO_DEBUG=1 WEBHOOK_ALLOW_PRIVATE_ADDRESSES=1 EMAIL_URL=filemail:///sent-emails
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint format messages run-worker run-beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the requirements change.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Compile the committed .po catalogues (the .mo files are build products, not committed).
messages: $(VENV)/.runtime
	@if find . -path ./.venv -prune -o -name '*.po' -print | grep -q .; then \
		$(DEMO_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0; fi

demo: $(VENV)/.runtime messages
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input --verbosity 0
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	@echo
	@echo "  The site:      http://$(HOST):$(PORT)/"
	@echo "  The admin:     http://$(HOST):$(PORT)/admin/"
	@echo "  The API docs:  http://$(HOST):$(PORT)/api/docs/"
	@echo "  E-mails sent:  sent-emails/ (one file per e-mail)"
	@echo "  (Ctrl-C stops the server.)"
	@echo
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

run-worker: $(VENV)/.runtime
	$(BIN)/celery -A incubator worker --loglevel INFO

run-beat: $(VENV)/.runtime
	$(BIN)/celery -A incubator beat --loglevel INFO

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
