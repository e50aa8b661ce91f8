# ansinh — the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PEOPLE ?= 100000
SEED   ?= 42
export ANSINH_DATABASE_URL ?= sqlite:///var/ansinh.db

.PHONY: demo test lint bench bench-scale clean install dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

## make demo: database, synthetic province of $(PEOPLE) people, then the application.
demo: $(VENV)/.installed
	@mkdir -p var
	$(BIN)/ansinh db upgrade
	$(BIN)/ansinh synth --province 42 --people $(PEOPLE) --months 36 --seed $(SEED) --replace
	$(BIN)/ansinh demo

## make test: the whole suite (SQLite always; PostgreSQL when ANSINH_TEST_DATABASE_URL is set).
test: $(VENV)/.installed-dev
	$(BIN)/ruff check ansinh tests bench
	$(BIN)/mypy ansinh
	$(BIN)/pytest -m "not scale" -q -n 2 --dist loadfile --durations=15

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check ansinh tests bench
	$(BIN)/ruff format --check ansinh tests bench
	$(BIN)/mypy ansinh

## make bench: the 1.3M-person benchmarks (slow; not part of make test).
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run_all

clean:
	rm -rf var/*.db var/*.db-wal var/*.db-shm
