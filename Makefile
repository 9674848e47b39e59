# One place for set-up, running and testing. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app app
STAMP  := $(VENV)/.installed

.PHONY: install run test test-fast migrate deploy bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(FLASK) db upgrade

deploy: migrate
	$(FLASK) deploy

# Installs, migrates, deploys bpmn/, starts web + worker + scheduler (SQLite and embedded Redis unless
# DATABASE_URL / REDIS_URL are set) and prints the URL.
run: deploy
	$(PY) -m app.run_all

test: install
	$(PY) -m pytest tests -q -p no:cacheprovider

bench: install
	$(PY) bench/engine_throughput.py
	$(PY) bench/timer_lag.py

clean:
	rm -rf var .pytest_cache
