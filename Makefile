# Thin wrapper over CMake and the scripts. Real logic lives in CMakeLists.txt and scripts/.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_SECONDS ?= 30
JOBS       ?= $(shell nproc)
DATA_DIR   ?= data
MODEL_DIR  ?= models/ml-100k
VENV       ?= .venv

.PHONY: deps build python notebooks test asan-test tsan-test fuzz web e2e bench bench-http demo clean format

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build web
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	bash scripts/web-e2e.sh --server-bin $(BUILD)/hybridrec

# The Python package, installed into a virtualenv that also sees Debian's NumPy, SciPy and
# pandas; afterwards `$(VENV)/bin/python -c "import hybridrec"` works from any shell.
python: deps $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DHYBRIDREC_PYTHON=ON
	cmake --build $(BUILD) -j $(JOBS) --target _hybridrec
	test -x $(VENV)/bin/python || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	HYBRIDREC_BUILD_DIR=$(CURDIR)/$(BUILD) $(VENV)/bin/python -m pip install --quiet --no-build-isolation \
	  --no-deps --no-index ./python
	@echo "installed: $(VENV)/bin/python -c 'import hybridrec' (or: . $(VENV)/bin/activate)"

# The notebooks in notebooks/, executed against ML-100K and rendered with their outputs to
# $(BUILD)/notebooks/*.html (the data: $$HYBRIDREC_DATA_MIRROR/ml-100k or ../shared/data/ml-100k).
notebooks: deps $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DHYBRIDREC_PYTHON=ON
	cmake --build $(BUILD) -j $(JOBS) --target _hybridrec
	/usr/bin/python3 scripts/run-notebooks.py --build $(BUILD) --html $(BUILD)/notebooks

# The web page (npm build into web/dist) and its end-to-end test in headless Chromium.
web: deps
	bash scripts/web-build.sh

e2e: build web
	bash scripts/web-e2e.sh --server-bin $(BUILD)/hybridrec

asan-test: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHYBRIDREC_SANITIZE=ON -DHYBRIDREC_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# ThreadSanitizer over the in-process concurrency tests: thread pool, ALS threads, the service's live
# state under concurrent readers, writers and reloads, metrics, event stores. (The tests that
# spawn server processes run in `test` and `asan-test`.)
TSAN_TESTS = core_tests collab_tests store_tests serve_tests integration_tests
tsan-test: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHYBRIDREC_TSAN=ON -DHYBRIDREC_BUILD_BENCH=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TESTS)
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --test-dir $(TSAN_BUILD) --output-on-failure -j $(JOBS) -R '^(Parallel|ResolveThreads|Als|LiveState|Metrics|Requests|EventStore|Backends/EventStoreContract|SqliteEventStore|PostgresEventStore|ServeOverlayIndex|FifoGate|JsonText|ResponseCache|RateLimiter|ExperimentRuntime)'

# Every libFuzzer target for FUZZ_SECONDS seconds each (clang; build-fuzz).
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

bench: build
	bash scripts/bench.sh

bench-http: build
	bash scripts/bench-http.sh

demo: build web
	bash scripts/demo.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz web/dist python/build python/hybridrec.egg-info
