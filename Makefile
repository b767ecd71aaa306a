# One command each: `make lab` (set up + open JupyterLab on notebooks/), `make demo` (set up + a
# headless CIBA round trip on the embedded simulator), `make test` (set up + the whole suite:
# pytest, nbval over every notebook, the real-browser test).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ciba-kit-installed

.PHONY: setup browser lab demo test bench notebooks clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Debian's Chromium for the browser test (Playwright drives it; no browser download).
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; } \
	  || echo "note: could not install chromium: the browser test will be skipped"; \
	else echo "note: chromium missing and not root: the browser test will be skipped"; fi

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
lab: setup
	$(VENV)/bin/jupyter lab notebooks/ $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

demo: setup
	$(VENV)/bin/ciba-kit request --client-id demo-poll --login-hint alice --binding-message W4SCT

test: setup browser
	$(PY) -m pytest -q -p no:cacheprovider tests notebooks --nbval --nbval-current-env \
	  --nbval-sanitize-with notebooks/sanitize.cfg

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

notebooks: setup
	$(PY) scripts/build_notebooks.py

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
