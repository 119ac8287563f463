# Thin wrapper over CMake + CTest + pytest. `make demo` and `make test` install missing Debian
# packages first (scripts/install-deps), so on a fresh Debian 12 machine they are all you need.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
PYTHON     := /usr/bin/python3
FUZZ_SECONDS ?= 60

.PHONY: all build deps demo test unit-test integration-test asan-test bench fuzz clean

all: build

deps:
	@scripts/install-deps

build:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTENET_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: deps build
	@scripts/demo $(BUILD)/src/cli/tenet

test: deps build unit-test integration-test

unit-test:
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# Test files run in parallel (one worker per file at a time: module-scoped servers stay together).
PYTEST_WORKERS ?= 4
integration-test:
	TENET_BIN=$(abspath $(BUILD))/src/cli/tenet $(PYTHON) -m pytest -c test/pytest.ini -n $(PYTEST_WORKERS) --dist loadfile test

# Unit tests (and corpus replays) again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan-test: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTENET_TESTS=ON -DTENET_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS) -L unit

bench: deps build
	@cmake -S . -B $(BUILD) -DTENET_BENCH=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	bench/compare-mosquitto $(BUILD)/src/cli/tenet

# libFuzzer targets (clang-14), each run for FUZZ_SECONDS over a copy of its corpus.
fuzz: deps
	@CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTENET_FUZZ=ON -DTENET_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)
	tools/run-fuzzers $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
