# The two commands of the README: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEBIAN_PACKAGES := python3-venv graphviz libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2 fonts-dejavu-core poppler-utils chromium softhsm2

.PHONY: run test system-packages db bench clean

$(STAMP): pyproject.toml requirements.lock | system-packages
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Laurel needs Python 3.11 or newer ($(PYTHON) is older); set PYTHON=python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

system-packages:
	@./scripts/system-packages $(DEBIAN_PACKAGES)

db: $(STAMP)
	$(BIN)/flask --app web db init
	$(BIN)/flask --app web workflow deploy
	$(BIN)/flask --app web keys init
	$(BIN)/flask --app web demo seed

run: db
	$(BIN)/flask --app web run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.pdf

clean:
	rm -rf $(VENV) instance/*.db instance/*.db-* .pytest_cache .hypothesis
