# lavametrics: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PYTHON  := $(VENV)/bin/python
MVN     ?= mvn -B -q
# the slowest tests at the end of every run: where `make test` spends its ~20 minutes
PYTEST_ARGS ?= --durations=30
# the throwaway venv `make min-test` fills with the oldest versions pyproject.toml allows
MIN_VENV ?= .cache/venv-min
# the throwaway venv `make base-install-test` fills with the package and no extras
BASE_VENV ?= .cache/venv-base
LOCK    := requirements/dev.txt

# the one rule for which plugin jar to use (javatools.find_plugin_jar; run.sh implements it for shell)
PLUGIN_JAR  = $(shell bash Lavalink/run.sh --resolve-plugin)
CATALOG_MAIN := dev.lavametrics.plugin.catalog.Catalog
# Every file generated from the plugin's catalog; `make docs` writes them all and
# tests/unit/test_generated_docs.py fails when one is stale or missing from this list.
CATALOG_JSON_COPIES := pyclient/lavametrics/data/catalog.json lavalink-plugin/src/main/resources/lavametrics/catalog.json

.PHONY: help venv lock lint format typecheck java-test build test pytest min-test base-install-test demo catalog docs generate clean monitoring metrics-up metrics-down bench

help:
	@echo "make demo   build, start a node with the plugin, play a track, print the check report"
	@echo "make test   lint (ruff, import contracts, Java format), mypy, JUnit (mvn test), jar build, unit tests on the minimum versions, the base install, then pytest"
	@echo "make format rewrite the Python (ruff format) and Java (spotless:apply) sources into the checked format"
	@echo "make docs   regenerate the catalog JSON copies and docs/metrics.md from the plugin jar"
	@echo "make generate   every generated file in order: catalog copies, docs/metrics.md, the jar, monitoring/"
	@echo "make lock   re-pin $(LOCK) after a change to pyproject.toml's dependencies"
	@echo "make monitoring    regenerate monitoring/ (rules, dashboards, Alertmanager) from the mixin code"
	@echo "make metrics-up    local Prometheus + Alertmanager + node + simulated bot on loopback (state in .stack/)"
	@echo "make metrics-down  stop that stack (lavametrics stack fault --help: page it on purpose)"
	@echo "LAVAMETRICS_INSTALL=1  lets metrics-up/test install Prometheus, Alertmanager (and for test VictoriaMetrics) with sudo apt-get (root: always)"

# Everything comes from the lock: pip and setuptools first, then the package itself built
# with that setuptools (no build isolation, which would fetch whatever is newest that day).
$(PYTHON): pyproject.toml $(LOCK) pyclient/lavametrics/__init__.py
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q "$$(grep -E '^pip==' $(LOCK))"
	$(PYTHON) -m pip install -q -r $(LOCK)
	$(PYTHON) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(PYTHON)

venv: $(PYTHON)

lock: $(PYTHON)
	$(VENV)/bin/uv pip compile pyproject.toml requirements/dev.in --extra dev --universal \
	    --python-version 3.11 --custom-compile-command "make lock" -q -o $(LOCK)

# lint-imports: the import directions of docs/design/architecture.md ([tool.importlinter] in
# pyproject.toml); 0.3 s, so no cache directory is kept. The Java format (palantir-java-format
# through Spotless, pinned in pom.xml) is checked in every module; `make format` rewrites both
# languages.
lint: $(PYTHON)
	$(VENV)/bin/ruff check pyclient tests examples
	$(VENV)/bin/ruff format --check pyclient tests examples
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(MVN) spotless:check

format: $(PYTHON)
	$(VENV)/bin/ruff format pyclient tests examples
	$(MVN) spotless:apply

typecheck: $(PYTHON)
	$(VENV)/bin/mypy pyclient

java-test:
	$(MVN) test

build:
	$(MVN) install -DskipTests

# pytest exit code 5 means "no tests collected": for us that is a broken checkout, not a pass.
run_pytest = $(1) -m pytest $(2); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; exit $$rc

# The monitoring tests need Debian's prometheus, prometheus-alertmanager and victoria-metrics (the HA
# topology's store and ruler): installed here when
# this user may (root, or LAVAMETRICS_INSTALL=1 for sudo); otherwise a warning now and, at the end
# of pytest, the list of tests that were skipped for it (in CI, CI=true, a failure instead).
# The rule tests also run under Prometheus 3: .ci/prometheus3 builds its promtool with `go install`
# (minutes, once per version: cached in ~/.cache/lavametrics/prometheus3/).
pytest: $(PYTHON)
	@bash .ci/monitoring-tools --warn
	@bash .ci/prometheus3 --warn
	@$(call run_pytest,$(PYTHON),$(PYTEST_ARGS))

# The lower bounds in pyproject.toml are claims: install exactly them into a fresh venv and
# run the unit tests there (they need the plugin jar, hence `build`).
min-test: build $(PYTHON)
	rm -rf $(MIN_VENV)
	python3 -m venv $(MIN_VENV)
	$(PYTHON) .ci/min_requirements.py > $(MIN_VENV)/minimum.txt
	$(MIN_VENV)/bin/python -m pip install -q "$$(grep -E '^pip==' $(LOCK))"
	$(MIN_VENV)/bin/python -m pip install -q -r $(MIN_VENV)/minimum.txt
	$(MIN_VENV)/bin/python -m pip install -q --no-deps --no-build-isolation -e .
	$(MIN_VENV)/bin/python -m pip check
	@echo "min-test: $$($(MIN_VENV)/bin/python -V) $$(tr '\n' ' ' < $(MIN_VENV)/minimum.txt)"
	@$(call run_pytest,$(MIN_VENV)/bin/python,-q -p no:cacheprovider tests/unit)

# `pip install lavametrics` without extras must be enough to monitor and instrument a bot:
# install it so (the lock as constraints, as CI pins everything) and run what a user runs.
base-install-test: build
	rm -rf $(BASE_VENV)
	python3 -m venv $(BASE_VENV)
	$(BASE_VENV)/bin/python -m pip install -q "$$(grep -E '^pip==' $(LOCK))" "$$(grep -E '^setuptools==' $(LOCK))"
	$(BASE_VENV)/bin/python -m pip install -q --no-build-isolation -c $(LOCK) .
	bash .ci/base_install_check $(BASE_VENV) $(PLUGIN_JAR)

test: lint typecheck java-test build min-test base-install-test pytest

demo: build $(PYTHON)
	$(PYTHON) -m lavametrics.devtools.demo

# The jar renders from its Java constants, so its own copy of the JSON (a resource) may be
# stale here; rebuild afterwards (`make build`) to package the fresh one.
catalog docs: build
	for copy in $(CATALOG_JSON_COPIES); do java -cp $(PLUGIN_JAR) $(CATALOG_MAIN) > $$copy || exit 1; done
	java -cp $(PLUGIN_JAR) $(CATALOG_MAIN) --markdown > docs/metrics.md

monitoring: $(PYTHON)
	$(PYTHON) -m lavametrics.cli mixin build --out monitoring

# Every generated file, in the order each depends on the one before: the jar renders the catalog
# from its Java constants; the JSON copies and docs/metrics.md come from that jar (`docs`); the jar
# is rebuilt to package its fresh copy; the mixin reads the Python copy to write monitoring/.
# tests/unit/test_generated_docs.py and the promtool/panel tests fail while any of them is stale.
generate: docs
	$(MVN) install -DskipTests
	$(MAKE) monitoring

# the jars are built once; `metrics-up` again only prints the running stack's URLs
metrics-up: $(PYTHON)
	@bash .ci/monitoring-tools --single
	@test -n "$(PLUGIN_JAR)" || $(MAKE) build
	$(PYTHON) -m lavametrics.devtools.stack up --dir .stack

metrics-down: $(PYTHON)
	$(PYTHON) -m lavametrics.devtools.stack down --dir .stack

# Benchmarks (docs/benchmarks.md), not part of `make test`: JMH of the plugin's hot paths,
# the merger, the bot instrumentation, /metrics cost against players, the JFR profile of the
# plugin's share, Prometheus' cost against the number of nodes (bench_scale), then the node
# workload with and without the plugin (the
# long part: 6 to BENCH_MAX_PAIRS pairs of 2 runs, until the interval is narrow enough).
# LAVALINK_JAR=/path/Lavalink.jar runs the node benchmarks on a real Lavalink.
BENCH_DIR     ?= .cache/bench
BENCH_PLAYERS ?= 100
BENCH_SECONDS ?= 60
# the A/B's minimum warm-up: the JIT settles ~90 s after streaming starts (docs/benchmarks.md)
BENCH_WARMUP  ?= 90
# add pairs until the 95 % interval of the median CPU ratio is within +-BENCH_TARGET_CI, up to
# BENCH_MAX_PAIRS pairs (the interval needs at least 6 valid pairs)
BENCH_MIN_PAIRS ?= 6
BENCH_MAX_PAIRS ?= 30
BENCH_TARGET_CI ?= 0.02
# the JFR profile's window, per player count
BENCH_PROFILE_SECONDS ?= 60
# bench_scale: Prometheus with the shipped rules and dashboards, scraping this many synthetic nodes
# (and a bot shard per five); about 20 min for the four
BENCH_SCALE_NODES ?= 1,10,100,500
BENCH_SCALE_REPEATS ?= 3
JMH_ARGS      ?= -f 1 -wi 3 -i 5 -w 2s -r 2s -prof gc
BENCH_CP       = lavalink-plugin/target/test-classes:lavalink-plugin/target/classes:$$(cat lavalink-plugin/target/bench-cp.txt)

bench: build $(PYTHON)
	$(VENV)/bin/pip install -q -e '.[bench]'
	mkdir -p $(BENCH_DIR)
	$(MVN) -Pbench -pl lavalink-plugin test-compile
	$(MVN) -Pbench -pl lavalink-plugin dependency:build-classpath -Dmdep.includeScope=test \
	    -Dmdep.outputFile=target/bench-cp.txt > /dev/null
	java -cp "$(BENCH_CP)" org.openjdk.jmh.Main $(JMH_ARGS) -rf json -rff $(BENCH_DIR)/jmh.json \
	    2>/dev/null | tee $(BENCH_DIR)/jmh.txt | grep -E '^(Benchmark|[A-Z][A-Za-z]+Benchmark)'
	$(PYTHON) -m lavametrics.devtools.bench_merge --json > $(BENCH_DIR)/merge.json
	$(PYTHON) -m lavametrics.devtools.bench_bot --json > $(BENCH_DIR)/bot.json
	$(PYTHON) -m lavametrics.devtools.bench_node scrape --json > $(BENCH_DIR)/scrape.json
	$(PYTHON) -m lavametrics.devtools.bench_scale --nodes $(BENCH_SCALE_NODES) --repeats $(BENCH_SCALE_REPEATS) \
	    --json > $(BENCH_DIR)/scale.json
	$(PYTHON) -m lavametrics.devtools.bench_profile --players $(BENCH_PLAYERS),1000 \
	    --seconds $(BENCH_PROFILE_SECONDS) --json > $(BENCH_DIR)/profile.json
	$(PYTHON) -m lavametrics.devtools.bench_node ab --pairs $(BENCH_MIN_PAIRS) --max-pairs $(BENCH_MAX_PAIRS) \
	    --target-ci $(BENCH_TARGET_CI) --players $(BENCH_PLAYERS) --seconds $(BENCH_SECONDS) --warmup $(BENCH_WARMUP) \
	    --json > $(BENCH_DIR)/ab.json
	$(PYTHON) -m lavametrics.devtools.bench_report $(BENCH_DIR) docs

clean:
	$(MVN) clean
	rm -rf .cache .pytest_cache .mypy_cache .ruff_cache
