# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench bench-readme lock clean redis-server

# A .venv that did not finish is removed, so a later run never trusts a broken one.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "harness-logs needs Python 3.11 or newer: run 'make run PYTHON=python3.11'"; exit 1; }
	$(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --upgrade pip \
		|| { rm -rf $(VENV); echo "could not set up $(VENV)"; exit 1; }

# Stamp files so that a second `make run`/`make test` does not reinstall.
# `make run` installs exactly what requirements.lock pins, hash-checked.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# The real bot when Slack and Harness settings are present, else the sandbox.
run: $(VENV)/.installed
	$(BIN)/python -m bot.sandbox.run

# The store's tests run against a real Redis; they start their own server on a unix
# socket, so only the binary is needed: REDIS_SERVER, else redis-server on PATH, else
# Debian's package (installed when apt-get can).
redis-server:
	@test -n "$$REDIS_SERVER" || command -v redis-server >/dev/null 2>&1 || { \
		echo "installing redis-server (Debian package)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } || { \
			echo "redis-server is needed by the tests: install it, or set REDIS_SERVER=/path/to/redis-server"; exit 1; }; \
	}

# One pytest worker per core: every test owns its emulators, ports, files and Redis
# database, so they run side by side.
test: $(VENV)/.installed-dev redis-server
	$(BIN)/python -m pytest -n auto

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check bot emulators tests benchmarks
	$(BIN)/ruff format --check bot emulators tests benchmarks
	$(BIN)/mypy bot emulators tests
	$(BIN)/python -m pytest -q tests/architecture

format: $(VENV)/.installed-dev
	$(BIN)/ruff format bot emulators tests benchmarks
	$(BIN)/ruff check --fix bot emulators tests benchmarks

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.quality
	$(BIN)/python -m benchmarks.command
	$(BIN)/python -m benchmarks.excerpt
	$(BIN)/python -m benchmarks.latency
	$(BIN)/python -m benchmarks.durability
	$(BIN)/python -m benchmarks.load

# The same, also rewriting the figures in the tracked benchmarks/README.md.
bench-readme:
	BENCH_README=1 $(MAKE) bench

# Pins the run-time dependencies (with hashes) after pyproject.toml changed. Run it
# with the oldest Python 3.11 in use (make lock PYTHON=python3.11 on a fresh .venv):
# dependencies such as redis's async-timeout (< 3.11.3) only appear there.
lock: $(VENV)/.installed-dev
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
