# One place for set-up, running and testing. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app app
STAMP  := $(VENV)/.installed
ASSET  := app/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js
MODELER := app/static/vendor/modeler/modeler.js
ECHARTS := app/static/vendor/echarts/echarts.min.js
MO     := app/translations/zh/LC_MESSAGES/messages.mo app/translations/en/LC_MESSAGES/zh_source.mo
SYSPKG := var/.system-packages

.PHONY: install system-deps run test migrate deploy demo bench translations clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $(STAMP)

# Debian packages (LibreOffice, CJK fonts, poppler, NSS tools, Chromium for browser tests); skipped
# with a note where apt-get is unavailable or we are not root.
$(SYSPKG): config/system-packages.txt
	@mkdir -p var
	@bash config/install-system-packages.sh config/system-packages.txt && touch $(SYSPKG)

system-deps: $(SYSPKG)

$(ASSET): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p app/static/vendor/bpmn-js/assets
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js app/static/vendor/bpmn-js/
	cp -r node_modules/bpmn-js/dist/assets/. app/static/vendor/bpmn-js/assets/

# Charts of the dashboards and reports (app/reporting).
$(ECHARTS): $(ASSET)
	mkdir -p app/static/vendor/echarts
	cp node_modules/echarts/dist/echarts.min.js app/static/vendor/echarts/

# The modeler's pages (bpmn-js, dmn-js, properties panel, bpmnlint, CodeMirror) bundled by esbuild.
$(MODELER): $(ASSET) $(shell find app/modeler/assets -type f)
	node app/modeler/assets/build.mjs

$(MO) &: app/translations/zh/LC_MESSAGES/messages.po app/translations/en/LC_MESSAGES/zh_source.po $(STAMP)
	$(VENV)/bin/pybabel compile -d app/translations -D "messages zh_source"

install: $(STAMP) $(SYSPKG) $(ASSET) $(ECHARTS) $(MODELER) $(MO)

migrate: install
	$(FLASK) db upgrade

deploy: migrate
	$(FLASK) deploy

demo: deploy
	$(FLASK) demo-data

# Installs, migrates, deploys bpmn/, loads demo data, starts web + worker + scheduler (SQLite and an
# embedded Redis unless DATABASE_URL / REDIS_URL are set) and prints the URL and the demo accounts.
run: demo
	$(PY) -m app.run_all

TESTS ?= tests
test: install
	$(PY) -m pytest $(TESTS) -q -p no:cacheprovider

bench: install
	$(PY) bench/engine_throughput.py
	$(PY) bench/timer_lag.py

# After changing user-facing text: extract, merge into the catalogues, translate, commit the .po files.
# Texts written in English (code, templates, English names in process files) -> zh/messages.po;
# texts written in Chinese in forms/ and bpmn/ -> en/zh_source.po (app/platform/source_texts.py).
translations: $(STAMP)
	PYTHONPATH=. $(VENV)/bin/pybabel extract -F app/babel.cfg -k _l -o app/translations/messages.pot app forms bpmn
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations -l zh
	PYTHONPATH=. $(VENV)/bin/pybabel extract -F app/babel-zh-source.cfg -o app/translations/zh_source.pot forms bpmn
	$(VENV)/bin/pybabel update -D zh_source -i app/translations/zh_source.pot -d app/translations -l en

clean:
	rm -rf var .pytest_cache
