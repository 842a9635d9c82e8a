# Klaxon: `make run` starts the service on the shipped example; `make test` runs every test.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CONFIG ?= klaxon.yaml

.PHONY: run test build deps lint clean bench bench-ceiling bench-rotation bench-escalation bench-ingest bench-sqlite

# The system packages Klaxon needs to build: libcurl's headers and jemalloc's (the allocator
# `klaxon` links; at run time it needs libcurl4 and libjemalloc2).
deps:
	@if ! pkg-config --exists libcurl 2>/dev/null || [ ! -f /usr/include/x86_64-linux-gnu/curl/curl.h -a ! -f /usr/include/curl/curl.h ] \
		|| [ ! -f /usr/include/jemalloc/jemalloc.h ]; then \
		echo "installing libcurl4-openssl-dev libjemalloc-dev"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libcurl4-openssl-dev libjemalloc-dev pkg-config; \
	fi

build: deps
	swift build

run: build
	swift run klaxon serve --config $(CONFIG)

lint: build
	swift run klaxon lint --config $(CONFIG)

test: deps
	@# `make bench-ceiling` applies bench/no-storage.patch to the sources; keep it applicable.
	@# The ceiling keeps git to this folder: in a copy inside another repository, git apply
	@# would otherwise skip every path and pass without checking anything.
	@if command -v git >/dev/null 2>&1; then \
		GIT_CEILING_DIRECTORIES="$$(dirname "$$PWD")" git apply --check bench/no-storage.patch \
			|| { echo "bench/no-storage.patch no longer applies to Sources (make bench-ceiling needs it)"; exit 1; }; \
	fi
	swift build --build-tests
	swift test --skip-build

# Release benchmark of the rotation math (a year of 100 teams' schedules; one on-call lookup).
bench-rotation: deps
	swift run -c release klaxon-bench-rotation

# Release benchmark of the timers (issue 5): 10,000 concurrent escalations on the real clock.
bench-escalation: deps
	swift run -c release klaxon-bench-escalation

# Release benchmark of the engine alone (no HTTP): the `make bench` load straight into the engine.
bench-ingest: deps
	swift run -c release klaxon-bench-ingest

# SQLite alone (C, no Swift): the cost of a synced alert row and timeline row on this machine,
# appended or indexed by incident; the floor under `make bench`.
bench-sqlite:
	@mkdir -p .build-bench
	cc -O2 -o .build-bench/sqlite-floor bench/sqlite-floor.c -lsqlite3
	.build-bench/sqlite-floor .build-bench

clean:
	rm -rf .build

# Release benchmark against Prometheus Alertmanager (issue 4): installs wrk and
# prometheus-alertmanager from Debian if missing, builds in .build-bench, prints the table.
# BENCH_ALERTS, BENCH_THREADS, BENCH_CONNECTIONS, BENCH_MAX_SECONDS, BENCH_STRICT=1 tune it.
bench: deps
	bash bench/bench.sh

# `make bench` plus a fourth target: Klaxon built with bench/no-storage.patch (answers as soon as
# a request is parsed; nothing classified or stored), to split Klaxon's cost into HTTP and parsing
# versus the engine and the disk. A second release build (a few minutes).
bench-ceiling: deps
	BENCH_NO_STORAGE=1 bash bench/bench.sh
