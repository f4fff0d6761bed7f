# The two commands of the README: `make run` and `make test`. Both work on a fresh clone.
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app scheduler
PORT   ?= 5000
HOST   ?= 127.0.0.1
# Links in feeds and mail are built on it (scheduler/hosts.py); follows PORT unless set.
export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run run-empty init-db check-port test lint format translations extract-messages bench clean lock

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Compile the message catalogs (the .mo files are build output, not committed).
translations: $(VENV)/.runtime
	$(VENV)/bin/pybabel -q compile -d scheduler/translations

extract-messages: $(VENV)/.runtime
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k N_ -o scheduler/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -N -i scheduler/translations/messages.pot -d scheduler/translations

# A PORT that is not a number from 1 to 65535 is refused before anything starts.
check-port:
	@PORT='$(PORT)' deploy/check-env.sh PORT:1:65535

# Create or migrate the database (DATABASE_URL, else SQLite under instance/); nothing else.
init-db: $(VENV)/.runtime translations
	$(FLASK) init-db

# Migrate the SQLite database under instance/, load demo data if it is empty (not with
# EMPTY=1, see run-empty), then run the web server and the background scheduler process side
# by side; Ctrl-C stops both.
run: check-port $(VENV)/.runtime translations
	$(FLASK) init-db
	$(if $(filter 1 yes true,$(EMPTY)),,$(FLASK) demo-data --if-empty)
	@echo "serving on http://$(HOST):$(PORT)  (Ctrl-C stops the web server and the scheduler)"
	@$(FLASK) jobs & JOBS=$$!; trap 'kill $$JOBS 2>/dev/null; wait $$JOBS 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# The same without the demo: an association's own start (README, "Setting up your association").
run-empty:
	@$(MAKE) --no-print-directory run EMPTY=1

# Ruff, then the import contracts of .importlinter (a pure core, floors pointing one way).
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Ruff, then the whole suite on SQLite and on a throw-away PostgreSQL cluster. Whole files go
# to a worker (a module's shared set-up is made once); the slowest 25 tests are listed.
# Python keeps the modules it compiles even where the machine says not to
# (PYTHONDONTWRITEBYTECODE): the servers and commands the suite starts load them compiled.
# Only the suite's plugins are loaded, by name, so that pytest does not rewrite the asserts
# of every module of their packages in each worker.
PYTEST := PYTHONDONTWRITEBYTECODE= PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(VENV)/bin/pytest \
	-p xdist.plugin -p _hypothesis_pytestplugin -p schemathesis.pytest.plugin
test: $(VENV)/.dev translations lint
	$(PYTEST) -n 2 --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Resolve the direct pins of requirements*.in into the whole tree with hashes
# (requirements*.txt, which every install uses). LOCK_ARGS=--upgrade moves the indirect ones.
LOCK := .venv-lock/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock:
	test -x .venv-lock/bin/pip-compile || \
	  (python3 -m venv .venv-lock && .venv-lock/bin/pip install -q pip-tools==7.7.0)
	$(LOCK) -o requirements.txt requirements.in
	$(LOCK) -o requirements-dev.txt requirements-dev.in

bench: $(VENV)/.dev translations
	$(PY) bench/conflicts.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
