# epp-bridge — every target installs what it needs first.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps configure build test test-unit test-integration test-blackbox test-e2e test-interop demo format clean

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
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE 'e2e|interop'
	cd $(BUILD) && ctest --output-on-failure -L e2e
	cd $(BUILD) && ctest --output-on-failure -L interop

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit
test-integration: build
	cd $(BUILD) && ctest --output-on-failure -L integration
test-blackbox: build
	cd $(BUILD) && ctest --output-on-failure -L blackbox
test-e2e: build
	cd $(BUILD) && ctest --output-on-failure -L e2e
test-interop: build
	cd $(BUILD) && ctest --output-on-failure -L interop

demo: build
	scripts/demo.sh $(BUILD)/epp-bridge

format:
	clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h')

clean:
	rm -rf $(BUILD)
