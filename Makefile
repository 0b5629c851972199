# Xinyong: the two commands are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
DEMO_SUBJECTS ?= 3000

.PHONY: demo test bench lint venv install install-test serve clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/xinyong init
	$(BIN)/xinyong demo build --subjects $(DEMO_SUBJECTS) --seed 2026
	$(BIN)/xinyong serve --host 127.0.0.1 --port 8000

lint: install-test
	$(BIN)/ruff check xinyong tests bench
	$(BIN)/ruff format --check xinyong tests bench
	$(BIN)/mypy

# PostgreSQL runs too when XINYONG_TEST_POSTGRES_URL is set or a server answers on 127.0.0.1:5432.
test: lint
	@if [ -z "$$XINYONG_TEST_POSTGRES_URL" ] && $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1',5432)))" 2>/dev/null; then \
		export XINYONG_TEST_POSTGRES_URL="$(PG_URL)"; echo "PostgreSQL answers: testing SQLite and PostgreSQL"; \
	else echo "testing SQLite$${XINYONG_TEST_POSTGRES_URL:+ and PostgreSQL}"; fi; \
	$(BIN)/pytest -n 2 tests

bench: install-test
	$(BIN)/python -m bench

serve: install
	$(BIN)/xinyong serve

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
