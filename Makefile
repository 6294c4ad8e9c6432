# Modelplane's developer entry point. `make` (or `make help`) lists every target.
# `make test` only reads the tree: it never regenerates or reformats anything.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT := $(abspath .)
PYTHON ?= python3.11
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
BIN := $(ROOT)/bin
export PATH := $(BIN):$(VENV)/bin:$(PATH)
PYTEST := $(PY) -m pytest

##@ General

.PHONY: help
help: ## Show this list of targets.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
	  /^[a-zA-Z0-9_.-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Set-up

.PHONY: demo
demo: tools venv cluster-up node-up ingress-up platform-up ## The main job: local cluster + platform chart, deploy examples/sklearn-iris.yaml, print a prediction.
	@$(VENV)/bin/modelplane dev-demo --kubeconfig "$$(hack/cluster.sh kubeconfig)" --ingress "$$(hack/local-ingress.sh url)"

.PHONY: down
down: ## Stop everything the demo started (ingress, process node, cluster) and remove its files.
	@hack/local-ingress.sh down
	@hack/local-node.sh down
	@hack/cluster.sh down

.PHONY: venv
venv: $(VENV)/.installed ## Create .venv/ (Python 3.11) with both distributions installed editable and the dev tools.

$(VENV)/.installed: requirements-dev.txt runtimes/pyproject.toml controllers/pyproject.toml loadtests/pyproject.toml
	@echo "[venv] creating $(VENV) with $(PYTHON)"
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "[venv] installing the runtime, the controllers and the dev tools (pip shows progress)"
	@$(PY) -m pip install --progress-bar on -r requirements-dev.txt -e 'runtimes[dev]' -e 'controllers[dev]' \
	  -e 'loadtests[dev]'
	@touch $@

.PHONY: tools
tools: ## Build the pinned tools (helm, kustomize, kubectl, kube-*, etcd, kwok) into bin/; cached per version.
	@hack/install-tools.sh
	@hack/install-nginx.sh
	@hack/fetch-upstream-crds.sh

##@ Develop

.PHONY: lint
lint: venv ## Run ruff, mypy and the import-linter contracts (read-only).
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy runtimes/src controllers/src loadtests/src
	$(VENV)/bin/lint-imports

.PHONY: fmt
fmt: venv ## Reformat the Python sources and apply ruff's safe fixes.
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: generate
generate: venv ## Write the CRDs and the controller's RBAC from the API types into charts/ and overlays/.
	$(VENV)/bin/modelplane generate --root $(ROOT)

.PHONY: verify
verify: venv ## Fail, showing a diff, when a generated file differs from what `make generate` would write.
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(VENV)/bin/modelplane generate --root "$$tmp" >/dev/null; \
	drift=0; \
	for f in $$(cd "$$tmp" && find . -type f | sort); do \
	  diff -u --label "$${f#./} (in the tree)" --label "$${f#./} (generated)" "$(ROOT)/$$f" "$$tmp/$$f" || drift=1; \
	done; \
	if [ "$$drift" -ne 0 ]; then echo "verify: generated files drifted; run 'make generate' and commit the result" >&2; exit 1; fi; \
	echo "verify: generated files are up to date"
	@$(MAKE) --no-print-directory verify-charts

CHARTS := charts/modelplane-crds charts/modelplane charts/platform

.PHONY: chart-docs
chart-docs: venv ## Regenerate each chart's README.md and values.schema.json from its documented values.yaml.
	$(PY) hack/chartvalues.py $(CHARTS)

.PHONY: generate-overlays
generate-overlays: venv ## Regenerate the kustomize bases and components under overlays/ from the charts (needs bin/helm).
	$(PY) hack/generate-overlays.py

.PHONY: verify-charts
verify-charts: venv ## Fail when chart READMEs, schemas or generated overlays differ from their sources.
	$(PY) hack/chartvalues.py --check $(CHARTS)
	$(PY) hack/generate-overlays.py --check
	@echo "verify-charts: chart docs, schemas and overlays are up to date"

##@ Test

.PHONY: test
test: lint test-unit test-render test-cluster e2e ## Run every test tier (lint, unit, render, cluster, e2e).

.PHONY: test-unit
test-unit: venv ## Unit tests: pure code and servers on 127.0.0.1, no cluster.
	$(PYTEST) -m "not render and not cluster"

.PHONY: test-render
test-render: venv tools ## Render tests: helm lint/template and kustomize build, validated against schemas.
	$(PYTEST) -m render

.PHONY: test-cluster
test-cluster: venv tools ## Cluster tests: start the local control plane (if down) and test against it.
	$(PYTEST) -m cluster

.PHONY: e2e
e2e: venv tools cluster-up node-up ingress-up ## End-to-end journeys (local profile) against the platform chart installed as `make demo` does.
	@hack/local-e2e.sh
	$(PYTEST) e2e --kubeconfig "$$(hack/cluster.sh kubeconfig)" --ingress "$$(hack/local-ingress.sh url)" \
	  --profile local --controller installed $(E2E_ARGS)

##@ Local cluster

.PHONY: cluster-up
cluster-up: tools ## Start the local control plane (kwokctl, binary runtime, 127.0.0.1); idempotent.
	@hack/cluster.sh up

.PHONY: cluster-down
cluster-down: ## Stop the local control plane and remove its files.
	@hack/cluster.sh down

.PHONY: kubeconfig
kubeconfig: ## Print the absolute path of the local cluster's kubeconfig.
	@hack/cluster.sh kubeconfig

.PHONY: node-up
node-up: venv cluster-up ## Start the local process node: pods of modelplane/* images run as local processes (root).
	@hack/local-node.sh up

.PHONY: node-down
node-down: ## Stop the local process node and its pods' processes.
	@hack/local-node.sh down

.PHONY: ingress-up
ingress-up: venv cluster-up ## Start the local ingress: nginx on 127.0.0.1:8088 routing Ingress/HTTPRoute/VirtualService.
	@hack/local-ingress.sh up

.PHONY: platform-up
platform-up: venv tools ## helm upgrade --install the platform chart (local values) into the local cluster; needs node-up.
	@hack/local-platform.sh up

.PHONY: platform-down
platform-down: ## helm uninstall the local platform release (the CRDs stay).
	@hack/local-platform.sh down

.PHONY: ingress-down
ingress-down: ## Stop the local ingress.
	@hack/local-ingress.sh down

##@ kind profile (machines with Docker)

.PHONY: kind-up
kind-up: venv ## Create a kind cluster, build and load the images, install the whole platform (Istio, Knative, cert-manager).
	@hack/kind.sh up

.PHONY: kind-e2e
kind-e2e: venv ## The e2e suite on the kind cluster with real Knative and Istio data planes (after kind-up).
	$(PYTEST) e2e --kubeconfig "$$(hack/kind.sh kubeconfig)" --ingress "$$(hack/kind.sh url)" \
	  --profile kind --controller installed $(E2E_ARGS)

.PHONY: kind-down
kind-down: ## Delete the kind cluster.
	@hack/kind.sh down

##@ Control plane

CRD_DIR := $(ROOT)/charts/modelplane-crds/files/crds
TEST_CRD_DIR := $(ROOT)/controllers/tests/fixtures/crds

.PHONY: install
install: ## Apply the generated CRDs and the test Knative/Istio CRDs to the current kubeconfig's cluster.
	$(BIN)/kubectl apply --server-side --force-conflicts -f $(CRD_DIR) -f $(TEST_CRD_DIR)
	$(BIN)/kubectl wait --for=condition=Established --timeout=60s -f $(CRD_DIR) -f $(TEST_CRD_DIR)

.PHONY: run
run: venv ## Run the controller and its webhook in the foreground against the current kubeconfig's cluster.
	$(VENV)/bin/modelplane operator --register-webhook $(RUN_ARGS)

##@ Benchmarks

LOADTEST_OUT ?= $(ROOT)/.work/loadtest
PROTOCOL ?= v1
SHAPE ?= step
LOADTEST_ARGS ?=
# Servers on CPU 0, the load generator on CPU 1 (SERVERS:GENERATOR), so they do not take each other's core.
LOADTEST_PIN ?= 0:1

.PHONY: loadtest
loadtest: venv ## One bounded open-loop run: URL=http://127.0.0.1:PORT MODEL=NAME PAYLOAD=FILE [SHAPE=step|spike|ramp|diurnal PROTOCOL=v1|v2 LOADTEST_ARGS=...].
	@[ -n "$(URL)" ] && [ -n "$(MODEL)" ] && [ -n "$(PAYLOAD)" ] || { echo "loadtest: give URL=..., MODEL=... and PAYLOAD=... (e.g. loadtests/payloads/iris-v1.json)" >&2; exit 2; }
	$(VENV)/bin/modelplane-loadtest run --url "$(URL)" --model "$(MODEL)" --protocol $(PROTOCOL) \
	  --payload-file "$(PAYLOAD)" --shape $(SHAPE) --out $(LOADTEST_OUT)/$(SHAPE) $(LOADTEST_ARGS)
	@echo "report: make loadtest-report RUN=$(LOADTEST_OUT)/$(SHAPE)"

.PHONY: loadtest-peers
loadtest-peers: ## Install MLServer 1.7.1 into .work/peers/mlserver (its fixed batcher is a batching-benchmark configuration).
	@loadtests/install-peers.sh

.PHONY: loadtest-batching
loadtest-batching: venv loadtest-peers ## Batching benchmark (minutes): off, fixed and adaptive batchers x offered load, sklearn and onnx models.
	$(VENV)/bin/modelplane-loadtest batching --model sklearn --pin $(LOADTEST_PIN) --out $(LOADTEST_OUT)/batching \
	  $(LOADTEST_ARGS)
	$(VENV)/bin/modelplane-loadtest batching --model onnx --configs off,adaptive:8:5,adaptive:32:50 --pin $(LOADTEST_PIN) \
	  --out $(LOADTEST_OUT)/batching $(LOADTEST_ARGS)

.PHONY: loadtest-batching-gpu
loadtest-batching-gpu: venv ## Batching benchmark on a CUDA GPU (minutes; needs torch + torchvision): TorchScript ResNet-18, off vs adaptive [GPU_ARGS=...].
	$(PY) runtimes/benchmarks/resnet_gpu.py --out $(LOADTEST_OUT)/resnet-gpu $(GPU_ARGS)
	$(PY) runtimes/benchmarks/resnet_gpu.py --plot $(LOADTEST_OUT)/resnet-gpu/resnet-gpu.json --img $(LOADTEST_OUT)/resnet-gpu/img

.PHONY: loadtest-scaling
loadtest-scaling: venv ## Scaling benchmark (minutes): 1, 2 and 4 runtime replicas behind nginx x offered load.
	$(VENV)/bin/modelplane-loadtest scaling --model sklearn --replicas 1,2,4 --pin $(LOADTEST_PIN) \
	  --out $(LOADTEST_OUT)/scaling $(LOADTEST_ARGS)

.PHONY: loadtest-scaling-ingress
loadtest-scaling-ingress: venv tools cluster-up node-up ingress-up platform-up ## Scaling benchmark (minutes) on the local cluster: InferenceServices of 1, 2, 4 replicas behind the local ingress.
	$(VENV)/bin/modelplane-loadtest scaling --model sklearn --replicas 1,2,4 --kubeconfig "$$(hack/cluster.sh kubeconfig)" \
	  --ingress "$$(hack/local-ingress.sh url)" --out $(LOADTEST_OUT)/scaling-ingress $(LOADTEST_ARGS)

.PHONY: loadtest-report
loadtest-report: venv ## Markdown + PNG report of a run: RUN=<csv prefix> (several: RUN="a b" compares them) [REPORT_DIR=...].
	@[ -n "$(RUN)" ] || { echo "loadtest-report: give RUN=<csv prefix of a run>, e.g. RUN=$(LOADTEST_OUT)/step" >&2; exit 2; }
	$(VENV)/bin/modelplane-loadtest report $(foreach run,$(RUN),--run $(run)) \
	  --out $(or $(REPORT_DIR),$(dir $(firstword $(RUN)))report) --name $(notdir $(firstword $(RUN)))
