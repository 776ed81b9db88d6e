# lavametrics: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PYTHON  := $(VENV)/bin/python
MVN     ?= mvn -B -q
PYTEST_ARGS ?=

PLUGIN_JAR  = $(firstword $(wildcard lavalink-plugin/target/lavametrics-plugin-*.jar))

.PHONY: help venv java-test build test pytest demo catalog docs clean bench

help:
	@echo "make demo   build, start a node with the plugin, play a track, print the check report"
	@echo "make test   JUnit (mvn test), jar build, then pytest (unit + integration on a real node)"
	@echo "make docs   regenerate the catalog copy and docs/metrics.md from the plugin jar"

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

# Benchmarks (docs/benchmarks.md), not part of `make test`: JMH of the plugin's hot paths,
# the merger, the bot instrumentation, /metrics cost against players, then the A/B pairs of
# the node workload with and without the plugin (the long part: BENCH_PAIRS x 2 runs).
# LAVALINK_JAR=/path/Lavalink.jar runs the node benchmarks on a real Lavalink.
BENCH_DIR     ?= .cache/bench
BENCH_PAIRS   ?= 5
BENCH_PLAYERS ?= 100
BENCH_SECONDS ?= 30
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
	$(PYTHON) -m lavametrics.bench_merge --json > $(BENCH_DIR)/merge.json
	$(PYTHON) -m lavametrics.bench_bot --json > $(BENCH_DIR)/bot.json
	$(PYTHON) -m lavametrics.bench_node scrape --json > $(BENCH_DIR)/scrape.json
	$(PYTHON) -m lavametrics.bench_node ab --pairs $(BENCH_PAIRS) --players $(BENCH_PLAYERS) \
	    --seconds $(BENCH_SECONDS) --json > $(BENCH_DIR)/ab.json
	$(PYTHON) -m lavametrics.bench_report $(BENCH_DIR) docs

clean:
	$(MVN) clean
	rm -rf .cache .pytest_cache
