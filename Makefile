# Xinyong: the two commands are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
DEMO_SUBJECTS ?= 3000
PORT ?= 8000

.PHONY: demo test bench bench-deps lint venv install install-test serve clean browser-deps pdf-deps reliability

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,spark]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install pdf-deps
	$(BIN)/xinyong init
	$(BIN)/xinyong demo build --subjects $(DEMO_SUBJECTS) --seed 2026
	$(BIN)/xinyong evaluate run
	$(BIN)/xinyong serve --host 127.0.0.1 --port $(PORT)

lint: install-test
	$(BIN)/ruff check xinyong tests bench
	$(BIN)/ruff format --check xinyong tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Browser tests drive Debian's Chromium, never a downloaded browser; a CJK font makes pages and
# screenshots show Chinese glyphs. Installed with apt-get only when missing (sudo if not root).
browser-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "installing$$missing with apt-get"; \
		$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# Issued PDFs (credit reports, monitoring reports): WeasyPrint lays out with Pango and embeds
# Noto CJK. Installed with apt-get only when missing (sudo if not root).
pdf-deps:
	@missing=""; \
	ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so" || missing="libpango-1.0-0 libpangoft2-1.0-0"; \
	fc-list :lang=zh 2>/dev/null | grep -q "Noto" || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "installing$$missing with apt-get"; \
		$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# PostgreSQL runs too when XINYONG_TEST_POSTGRES_URL is set or a server answers on 127.0.0.1:5432.
test: lint browser-deps pdf-deps
	@if [ -z "$$XINYONG_TEST_POSTGRES_URL" ] && $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1',5432)))" 2>/dev/null; then \
		export XINYONG_TEST_POSTGRES_URL="$(PG_URL)"; echo "PostgreSQL answers: testing SQLite and PostgreSQL"; \
	else echo "testing SQLite$${XINYONG_TEST_POSTGRES_URL:+ and PostgreSQL}"; fi; \
	$(BIN)/pytest -n 2 tests

# The check-API benchmark drives the server with Debian's wrk (installed here when missing; without
# it the benchmark falls back to its Python load generator).
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "installing wrk with apt-get"; \
		$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; \
	} || echo "wrk not installed: bench_checks uses its Python load generator"

bench: install-test bench-deps
	$(BIN)/python -m bench

# Long (about 20-30 minutes), not part of `make test`: kill -9 of an ingest at 10 random points,
# recovery, `ledger verify` and an idempotent resend each time; backup -> restore (marked step);
# the check-p99-while-ingesting row (bench/bench_load.py). `--record` appends to docs/reliability.md.
reliability: install-test
	$(BIN)/python -m bench.reliability $(RELIABILITY_ARGS)

serve: install
	$(BIN)/xinyong serve

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
