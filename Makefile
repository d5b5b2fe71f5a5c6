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
	$(PY) -m pip install --quiet --disable-pip-version-check --constraint constraints.txt --editable '.[dev]'
	touch $@

protos: $(GENERATED)

$(GENERATED): $(INSTALLED) $(PROTO_FILES) protos/generate.py
	$(PY) -m protos.generate
	touch $@

run: install
	$(PY) -m deploy.local.run

# Everything but the e2e tests on three workers (most tests wait on a database, a broker or a
# process), then the e2e tests on their own: they time logins on an otherwise quiet machine.
test: install
	$(PY) -m ruff check .
	$(PY) -m pytest -m "not e2e" -n 3 --dist loadfile; unit=$$?; $(PY) -m pytest -m e2e; e2e=$$?; \
		exit $$(( unit || e2e ))

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
