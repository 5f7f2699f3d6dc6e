# Pnyx — the two commands a new user runs are `make run` and `make test`.
# Each target first installs missing Debian packages (as root; otherwise it prints the
# exact apt-get command to run) and then builds.

SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libssl-dev libsodium-dev libpq-dev postgresql pkg-config chromium chromium-driver
RELEASE_PATH := .build-release

.PHONY: run test bench chaos fuzz deps build build-release clean

deps:
	@./.ci/install-deps $(APT_PACKAGES)

build: deps
	$(SWIFT) build

build-release: deps
	$(SWIFT) build -c release --scratch-path $(RELEASE_PATH)

## run: the broker and the service with the demo municipality, on a private PostgreSQL
## (reused by the next `make run`; `make run ARGS=--reset` starts afresh).
run: deps
	$(SWIFT) build --product pnyx
	$(SWIFT) build --product pnyx-audit
	.build/debug/pnyx up $(ARGS)

## test: every test, unit and integration (a private PostgreSQL is started by the tests).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## bench: release-mode benchmarks; prints a table and writes .bench/results.json (ARGS=--quick for a smoke run, ARGS="--only log,service" for some groups).
bench: deps
	$(SWIFT) build -c release --scratch-path $(RELEASE_PATH) --product pnyx-bench
	$(SWIFT) build -c release --scratch-path $(RELEASE_PATH) --product pnyx
	$(RELEASE_PATH)/release/pnyx-bench --output .bench/results.json $(ARGS)

## chaos: SIGKILL the service 20 times and stop PostgreSQL under load, two services on one
## database, bad input in bulk; 0 acknowledged entries lost and every poll audited (docs/RELIABILITY.md).
chaos: deps
	$(SWIFT) build --product pnyx
	$(SWIFT) build --product pnyx-audit
	$(SWIFT) build --product pnyx-chaos
	.build/debug/pnyx-chaos $(ARGS)

## fuzz: 1 M mutated inputs over the entry decoders, the API bodies and the export reader.
fuzz: deps
	$(SWIFT) build -c release --scratch-path $(RELEASE_PATH) --product pnyx-fuzz
	$(RELEASE_PATH)/release/pnyx-fuzz --inputs 1000000 $(ARGS)

clean:
	rm -rf .build $(RELEASE_PATH) .bench
