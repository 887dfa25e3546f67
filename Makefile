# Two commands on a fresh machine: `make demo` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The demo's e-mails (receipts, assignments, decisions) are written to files in sent-emails/.
# Quiet: warnings and errors only (the site's request lines stay), and the development secret
# key's warning is said once, below the logins, instead of by every command.
DEMO_ENV := DJANGO_DEBUG=1 WEBHOOK_ALLOW_PRIVATE_ADDRESSES=1 EMAIL_URL=filemail:///sent-emails \
	DJANGO_LOG_LEVEL=WARNING PYTHONWARNINGS="ignore:DJANGO_SECRET_KEY is not set"
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo's webhook receiver (manage.py webhook_receiver): the demo provider's webhooks go here.
WEBHOOK_PORT ?= 8001

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
	@$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input --verbosity 0
	@$(DEMO_ENV) $(BIN)/python manage.py seed_demo --webhook-port $(WEBHOOK_PORT)
	@echo
	@echo "  The site:      http://$(HOST):$(PORT)/"
	@echo "  The admin:     http://$(HOST):$(PORT)/admin/"
	@echo "  The API docs:  http://$(HOST):$(PORT)/api/docs/"
	@echo "  E-mails sent:  sent-emails/ (one file per e-mail)"
	@echo "  Webhooks:      printed below as they arrive, with their signature check"
	@echo "                 (publish the draft shortlist, or send a test webhook to"
	@echo "                 \"Bay Area Blockchain Fund\" from the admin's providers)"
	@echo "  Development settings: DJANGO_DEBUG=1 and an insecure built-in secret key."
	@echo "  (Ctrl-C stops the server.)"
	@echo
	@$(DEMO_ENV) $(BIN)/python manage.py webhook_receiver --port $(WEBHOOK_PORT) & receiver=$$!; \
	trap 'kill $$receiver 2>/dev/null' EXIT INT TERM; \
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
