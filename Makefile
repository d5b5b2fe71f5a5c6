# Tongban: `make run` starts the whole platform, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
GENERATED := protos/.generated
PROTO_FILES := $(shell find protos -name '*.proto')

.PHONY: install protos run test test-unit lint bench clean

install: $(INSTALLED) $(GENERATED)

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --constraint constraints.txt --editable '.[dev,protos]'
	touch $@

protos: $(GENERATED)

$(GENERATED): $(INSTALLED) $(PROTO_FILES) protos/generate.py
	$(PY) -m protos.generate
	touch $@

run: install
	$(PY) -m deploy.local.run

# Everything but the e2e tests on three workers (most tests wait on a database, a broker or a
# process); then the e2e flows of the two stack profiles side by side, each in a pytest process,
# a stack and a block of ports of its own (their output follows when both are done); then make
# run's own test alone, as it times logins.
MAKE_RUN_TEST := tests/e2e/test_make_run.py
E2E_FLOWS := $(PY) -m pytest -p no:cacheprovider -m e2e --ignore $(MAKE_RUN_TEST)
test: install
	$(PY) -m ruff check .
	@mkdir -p var/e2e-tmp
	$(PY) -m pytest -m "not e2e" -n 3 --dist loadfile; unit=$$?; \
	TONGBAN_E2E_PROFILE=sqlite-no-broker TONGBAN_TEST_PORT_BLOCK=4 $(E2E_FLOWS) \
		--basetemp=var/e2e-tmp/embedded > var/e2e-embedded.log 2>&1 & embedded=$$!; \
	TONGBAN_E2E_PROFILE=postgresql-rabbitmq TONGBAN_TEST_PORT_BLOCK=5 $(E2E_FLOWS) \
		--basetemp=var/e2e-tmp/production-like > var/e2e-production-like.log 2>&1 & production=$$!; \
	wait $$embedded; flows_embedded=$$?; wait $$production; flows_production=$$?; \
	cat var/e2e-embedded.log var/e2e-production-like.log; \
	$(PY) -m pytest $(MAKE_RUN_TEST); make_run=$$?; \
	exit $$(( unit || flows_embedded || flows_production || make_run ))

test-unit: install
	$(PY) -m pytest -m "not e2e" -n 3 --dist loadfile

lint: install
	$(PY) -m ruff check .

bench: install
	@command -v wrk >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 \
		&& apt-get install -y -qq wrk >/dev/null 2>&1; }; }; } \
		|| echo "wrk is not installed and cannot be: the gateway bench uses the Python load generator"
	$(PY) -m bench

.PHONY: manifests
# deploy/k8s/ and deploy/rabbitmq/ from the service registry; tests/deploy fails while they are stale.
manifests: install
	$(PY) -m deploy.generate

clean:
	rm -rf $(VENV) var $(GENERATED)
	find protos -name '*_pb2*.py*' -delete
	rm -f protos/descriptor_set.binpb
