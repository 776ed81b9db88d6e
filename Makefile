# lavametrics: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PYTHON  := $(VENV)/bin/python
MVN     ?= mvn -B -q
PYTEST_ARGS ?=

PLUGIN_JAR  = $(firstword $(wildcard lavalink-plugin/target/lavametrics-plugin-*.jar))

.PHONY: help venv java-test build test pytest demo catalog docs clean monitoring metrics-up metrics-down

help:
	@echo "make demo   build, start a node with the plugin, play a track, print the check report"
	@echo "make test   JUnit (mvn test), jar build, then pytest (unit + integration on a real node)"
	@echo "make docs   regenerate the catalog copy and docs/metrics.md from the plugin jar"
	@echo "make monitoring    regenerate monitoring/ (rules, dashboards, Alertmanager) from the mixin code"
	@echo "make metrics-up    local Prometheus + Alertmanager + node + simulated bot on loopback (state in .stack/)"
	@echo "make metrics-down  stop that stack"

$(PYTHON): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(PYTHON)

venv: $(PYTHON)

java-test:
	$(MVN) test

build:
	$(MVN) install -DskipTests

# pytest exit code 5 means "no tests collected": for us that is a broken checkout, not a pass.
pytest: $(PYTHON)
	@$(PYTHON) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; exit $$rc

test: java-test build pytest

demo: build $(PYTHON)
	$(PYTHON) -m lavametrics.demo

catalog docs: build
	java -cp $(PLUGIN_JAR) dev.lavametrics.plugin.catalog.Catalog > pyclient/lavametrics/data/catalog.json
	java -cp $(PLUGIN_JAR) dev.lavametrics.plugin.catalog.Catalog --markdown > docs/metrics.md

monitoring: $(PYTHON)
	$(PYTHON) -m lavametrics.cli mixin build --out monitoring

# the jars are built once; `metrics-up` again only prints the running stack's URLs
metrics-up: $(PYTHON)
	@test -n "$(PLUGIN_JAR)" || $(MAKE) build
	$(PYTHON) -m lavametrics.mixin.stack up --dir .stack

metrics-down: $(PYTHON)
	$(PYTHON) -m lavametrics.mixin.stack down --dir .stack

clean:
	$(MVN) clean
	rm -rf .cache .pytest_cache
