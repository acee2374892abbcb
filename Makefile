# Permitto: `make up` starts everything, `make test` checks everything. Python 3.11+ is all it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SERVICE_DIRS := services/auth services/permits services/files services/notifications gateway
REQUIREMENTS := requirements-dev.txt $(foreach d,$(SERVICE_DIRS),$(d)/requirements.txt)
PACKAGES := libs/common tools/devstack $(SERVICE_DIRS)

.PHONY: up test install lint typecheck check-delivery fuzz faults lock clean-var help api-types web-dev bench-web

help:
	@echo "make up        start the whole system (PostgreSQL, Redis, S3, mail, services, workers, scheduler, gateway)"
	@echo "make test      install what the tests need, then lint, type-check and run every test"
	@echo "make fuzz      the deep property-based run before a landing: schemathesis (stateful) and a body fuzz"
	@echo "make faults    kill each process class mid-approvals, bring it back, print what it cost"
	@echo "make lock      recompile the pinned requirements files from the .in files"
	@echo "make api-types refresh docs/openapi.json and the web app's types from the running API"
	@echo "make web-dev   the web app's dev server on :3000, the API proxied to a running make up"
	@echo "make bench-web the web app's budgets: JavaScript shipped, sign-in and list times on slow 4G"

$(STAMP): $(REQUIREMENTS) $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv installs the same pinned files as pip would, in seconds instead of minutes; pip only fetches uv.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep -m1 '^uv==' requirements-dev.txt | cut -d' ' -f1)"
	@# Bytecode compiled once here: uv does not compile by default (pip does), and where Python may not write
	@# .pyc files (PYTHONDONTWRITEBYTECODE) every process would compile Flask, SQLAlchemy and the rest from
	@# source as it starts, 4-5 s of CPU where 1.5 s will do: a test system starts about fifty of them.
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -r requirements-dev.txt $(foreach d,$(SERVICE_DIRS),-r $(d)/requirements.txt)
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps $(foreach p,$(PACKAGES),-e $(p))
	$(BIN)/python -m compileall -q -j 0 $(PACKAGES) > /dev/null
	@touch $(STAMP)

install: $(STAMP)

up: install
	$(BIN)/python -m devstack.up

test: install
	$(BIN)/python -m devstack.testrun

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/python -m devstack.testrun --only typecheck

lock: install
	@for d in $(SERVICE_DIRS); do (cd $$d && $(CURDIR)/$(BIN)/uv pip compile requirements.in -o requirements.txt -q --python-version 3.11 --no-header --annotation-style line); done
	$(BIN)/uv pip compile requirements-dev.in -o requirements-dev.txt -q --python-version 3.11 --no-header --annotation-style line

api-types: install
	$(BIN)/python -m devstack.api_types

web-dev: install
	$(BIN)/python -m devstack.webbuild
	cd web && PATH=$(CURDIR)/$(BIN):$$PATH npm run dev

bench-web: install
	$(BIN)/python bench/web.py

clean-var:
	rm -rf var

fuzz: install
	$(BIN)/python bench/fuzz.py

faults: install
	$(BIN)/python bench/faults.py

check-delivery: install
	$(BIN)/python -m devstack.testrun --only delivery
