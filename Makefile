# epp-bridge — every target installs what it needs first.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: docs
# Refreshes the generated sections of the committed pages from a test run
# (tests write their reports under $(BUILD)/reports otherwise).
docs: build
	MATRIX_DOC=$(CURDIR)/docs/reliability.md bash tests/e2e/run.sh $(BUILD)/epp-bridge fault_matrix
	INTEROP_DOC=$(CURDIR)/docs/interop.md bash tests/interop/run.sh $(BUILD)/epp-bridge

.PHONY: all deps configure build test test-unit test-integration test-blackbox test-e2e test-ngf test-interop test-k8s test-sanitize test-tsan demo format clean

all: build

deps:
	@scripts/install-deps.sh
	@tests/interop/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Every tier: unit, integration and black-box in parallel, then end-to-end
# through real NGINX on its own (it measures streaming timing), then interop
# against real EPPs built from their Go modules (cached after the first run).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE 'e2e|interop|k8s'
	cd $(BUILD) && ctest --output-on-failure -L e2e
	cd $(BUILD) && ctest --output-on-failure -L k8s
	cd $(BUILD) && ctest --output-on-failure -L interop
	@scripts/check-clean-tree.sh

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit
test-integration: build
	cd $(BUILD) && ctest --output-on-failure -L integration
test-blackbox: build
	cd $(BUILD) && ctest --output-on-failure -L blackbox
test-e2e: build
	cd $(BUILD) && ctest --output-on-failure -L e2e
test-ngf: build
	cd $(BUILD) && ctest --output-on-failure -R e2e.ngf-dropin
test-interop: build
	cd $(BUILD) && ctest --output-on-failure -L interop
test-k8s: build
	cd $(BUILD) && ctest --output-on-failure -L k8s

# Unit and integration tiers under ASan + UBSan (own build directory).
test-sanitize: deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEPP_BRIDGE_SANITIZE=address >/dev/null
	@cmake --build build-asan -j $(JOBS) --target unit_tests integration_tests
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp:print_suppressions=0 \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|integration'

# The same under TSan (gRPC's own libraries are not instrumented; see the suppressions).
test-tsan: deps
	@cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEPP_BRIDGE_SANITIZE=thread >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target unit_tests integration_tests
	cd build-tsan && TSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/tsan.supp:history_size=7 \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|integration'

demo: build
	scripts/demo.sh $(BUILD)/epp-bridge

format:
	clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h')

clean:
	rm -rf $(BUILD)

# Benchmarks (docs/benchmarks.md) in a Release build of their own: every
# ratio beside its target, PASS or FAIL (bench/run.sh: about 2 minutes).
# bench-profile: callgrind profile of the bridge's request path.
.PHONY: bench bench-configure bench-profile
bench bench-profile: BUILD = build-release
bench bench-profile: BUILD_TYPE = Release
bench-configure: deps
	@bench/install-deps.sh
	@cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DEPP_BRIDGE_BENCH=ON -DEPP_BRIDGE_TESTS=OFF >/dev/null
bench: bench-configure build
	bench/run.sh build-release
bench-profile: bench-configure build
	bench/profile.sh build-release

# libFuzzer smoke pass over every parser of untrusted input (docs/reliability.md).
FUZZ_SECONDS ?= 60
.PHONY: test-fuzz soak soak-quick
test-fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)
soak-quick: build
	scripts/soak.sh --quick $(BUILD)/epp-bridge
soak: build
	scripts/soak.sh $(BUILD)/epp-bridge 2000000 300
