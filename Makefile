# Research pipeline for online discussion corpora. `make help` lists the targets.
SHELL := /bin/bash
PY := .venv/bin/python
STAMP := .venv/.installed
REAL ?= $(or $(PIPELINE_REAL_DATA),../shared/real)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export DVC_NO_ANALYTICS := 1
export PYTHONHASHSEED := 0
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: help setup repro test test-fast lint bench eval eval-extraction eval-talk eval-argkp eval-topics eval-frames scrape browser clean-venv params-doc

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c requirements/constraints.txt -e '.[dev]'
	touch $(STAMP)

## setup: create the virtualenv and install the pinned stack (idempotent)
setup: $(STAMP)

## repro: set up, then run the whole DVC pipeline on the configured corpora (writes reports/)
repro: $(STAMP)
	.venv/bin/dvc repro
	@echo "report: reports/index.html"

## browser: install Debian's chromium for the browser tests (root, apt) if missing
browser:
	@bash scripts/install-chromium.sh

## test: set up (incl. chromium), then run the whole test suite (CI; one seed pipeline run per session)
test: $(STAMP) browser
	$(PY) -m pytest -q --durations=15

## test-fast: the development loop: no model loading, BERTopic fit, pipeline run or browser
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not browser" --durations=15

## params-doc: regenerate docs/params.md from the typed config and params.yaml (a test holds it current)
params-doc: $(STAMP)
	$(PY) -m pipeline params --markdown > docs/params.md

## lint: ruff over the package and the tests
lint: $(STAMP)
	.venv/bin/ruff check pipeline tests bench

## bench: scaling benchmark (prints ratios; writes reports/bench.json)
bench: $(STAMP)
	$(PY) -m bench

## eval: evaluation commands on the real data in ../shared/real (PIPELINE_REAL_DATA overrides)
eval: eval-extraction eval-talk eval-argkp

## eval-extraction: comment extraction from saved pages, held out by platform (about 5 min)
eval-extraction: $(STAMP)
	$(PY) -m pipeline evaluate extraction --pages $(REAL) --params params.yaml --out metrics/extraction.json

## eval-talk: Wikipedia talk pages against the DiscussionTools trees
eval-talk: $(STAMP)
	$(PY) -m pipeline evaluate talk --cases $(REAL)/html_dev/talk_pages --cases $(REAL)/threads/wikipedia_talk --dev pl-big-oldparser --dev fr-unsigned-parsoid

## eval-argkp: argument clustering and key-point matching on ArgKP (fine-tunes MiniLM; 5-20 min)
eval-argkp: $(STAMP)
	$(PY) -m pipeline evaluate argkp --data $(REAL)/args/argkp2021 --split dev --finetune-dir models/minilm-argkp --out metrics/argkp.json

## eval-topics: the consensus topics against re-embedding (batch 16, 1 thread) and noise (after make repro)
eval-topics: $(STAMP)
	$(PY) -m pipeline evaluate topic-invariance --params params.yaml --units data/processed/units.parquet --embeddings data/processed/embeddings.parquet --batch-size 16 --threads 1 --noise 1e-6

## eval-frames: the frame stage's validation over split seeds 42,1,2,3 (after make repro; about 12 min on 2 cores)
eval-frames: $(STAMP)
	$(PY) -m pipeline evaluate frame-splits --params params.yaml --units data/processed/units.parquet --embeddings data/processed/embeddings.parquet --codebook codebooks/social_business.yaml --unit-codes data/annotations/frames_units_coder1.csv --utterance-codes data/annotations/frames_utterances_coder1.csv --seeds 42,1,2,3 --out metrics/frame_splits.json

## scrape: fetch the URLs listed in corpus entries into data/raw/<corpus>/ (polite, resumable)
scrape: $(STAMP)
	$(PY) -m pipeline scrape --params params.yaml --raw-root data/raw --log-out metrics/scrape.json --problems-out data/processed/scrape_problems.parquet

## clean-venv: remove the virtualenv
clean-venv:
	rm -rf .venv
