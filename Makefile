# rtprobe: `make run` opens the app on the embedded mock server; `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test check lint format mock demo clean sysdeps bundle bundle-test assets

$(BIN)/.stamp-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip >/dev/null
	$(BIN)/python -m pip install -q -e .
	touch $@

$(BIN)/.stamp-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip >/dev/null
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(BIN)/.stamp-run

$(BIN)/.stamp-bundle: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip >/dev/null
	$(BIN)/python -m pip install -q -e '.[test,bundle]'
	touch $@ $(BIN)/.stamp-test $(BIN)/.stamp-run

sysdeps:
	@tools/system-deps.sh

## Open the desktop app with the embedded mock server (headless demo when there is no display).
run: $(BIN)/.stamp-run sysdeps
	$(BIN)/rtprobe

## Run the whole test suite (Qt offscreen), after the layer contracts and the type check.
test: $(BIN)/.stamp-test sysdeps check
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

## ruff, the layer contracts (import-linter, see pyproject.toml) and mypy on app and server_mock.
check: $(BIN)/.stamp-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

lint: $(BIN)/.stamp-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.stamp-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

mock: $(BIN)/.stamp-run
	$(BIN)/rtprobe mock

demo: $(BIN)/.stamp-run
	$(BIN)/rtprobe demo

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

## One-folder PyInstaller bundle dist/rtprobe/ (app + mock server + assets) for this OS.
bundle: $(BIN)/.stamp-bundle
	PYTHON=$(BIN)/python packaging/build.sh $(BUNDLE_ARGS)

## Build the bundle (or reuse a fresh one) and run it: realtime and WebRTC runs, GUI offscreen and
## under Xvfb, --version, numpy on miniblas, `rtprobe locust` not bundled.
bundle-test: $(BIN)/.stamp-bundle sysdeps
	RTPROBE_BUNDLE_TESTS=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/packaging $(PYTEST_ARGS)

## Regenerate assets/ (icon, sample video) from packaging/make_assets.py.
assets: $(BIN)/.stamp-run
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/make_assets.py
