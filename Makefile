# The front door. `make run` and `make test` work on a fresh Debian 12 machine: both install what
# they need (scripts/setup), build, and run.
.PHONY: all setup build run test bench fuzz format format-check tidy config-docs clean

JOBS ?= $(shell nproc)

all: build

setup:
	@scripts/setup

# Release binary at build/release/sluice.
build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# The reference pipeline on embedded defaults.
run: build
	build/release/sluice up

# Every unit and integration test, built with AddressSanitizer + UndefinedBehaviorSanitizer, plus
# a short libFuzzer run of every fuzz target (built with clang-19 first).
test: setup
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan

# Benchmarks (Release build); each prints a table and writes JSON under build/release/bench/.
bench: build
	@scripts/bench

# libFuzzer targets (clang-19); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: setup
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@scripts/fuzz $(FUZZ_SECONDS)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format-19 -i

format-check:
	@git ls-files '*.cc' '*.h' | xargs clang-format-19 --dry-run -Werror

# Regenerates the key reference table in docs/config.md from the schema.
config-docs: build
	@scripts/config-docs build/release/sluice docs/config.md

clean:
	rm -rf build
