# rtprobe: `make run` opens the app on the embedded mock server; `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint format mock demo clean sysdeps

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

sysdeps:
	@tools/system-deps.sh

## Open the desktop app with the embedded mock server (headless demo when there is no display).
run: $(BIN)/.stamp-run sysdeps
	$(BIN)/rtprobe

## Run the whole test suite (Qt offscreen).
test: $(BIN)/.stamp-test sysdeps
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

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
