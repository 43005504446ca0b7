# ec2fleet: build, test, demo. Everything heavy is cached outside the clone (EC2FLEET_CACHE), so a
# second run, or CI on the same machine, reuses the Rust build, the venv and the Pulumi CLI.
EC2FLEET_CACHE ?= $(HOME)/.cache/ec2fleet
export EC2FLEET_CACHE
export CARGO_TARGET_DIR ?= $(EC2FLEET_CACHE)/target
VENV := $(EC2FLEET_CACHE)/venv
PY := $(VENV)/bin/python
PROVIDER := $(CARGO_TARGET_DIR)/debug/pulumi-resource-ec2fleet
PULUMI_BIN = $(shell scripts/bootstrap.sh)

.PHONY: setup build schema sdks dist unit test lint demo install pulumi bench emulator fuzz

setup: ## install protoc, the venv and the Pulumi CLI (idempotent)
	scripts/setup.sh

pulumi: ## build the Pulumi CLI and YAML language host from the Go module proxy
	scripts/bootstrap.sh

build:
	cargo build

schema: build ## regenerate sdk-schema/schema.json from the Rust types
	$(PROVIDER) --print-schema > sdk-schema/schema.json

sdks: schema ## regenerate sdk/{nodejs,python,go} from the schema with Pulumi's own generators
	scripts/sdks.sh

dist: ## dist/: the plugin archive, npm tarball, Python wheel and sdist (PROFILE=debug packs the debug build)
	cargo build $(if $(filter debug,$(PROFILE)),,--release)
	scripts/dist.sh

unit: ## fast tests: no emulator, no CLI
	cargo test --lib --bins

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

test: setup build ## every test: Rust (unit, gRPC), wire compatibility, emulator, CLI end to end, SDKs
	cargo test
	PROFILE=debug scripts/dist.sh
	EC2FLEET_PROVIDER=$(PROVIDER) EC2FLEET_PULUMI_BIN=$(PULUMI_BIN) $(PY) -m pytest tests -q

demo: setup build ## `pulumi up` of the example fleet with the real CLI against the local AWS emulator
	EC2FLEET_PROVIDER=$(PROVIDER) EC2FLEET_PULUMI_BIN=$(PULUMI_BIN) scripts/demo.sh

install: ## release build, installed into the Pulumi plugin cache
	cargo build --release
	$(PULUMI_BIN)/pulumi plugin install resource ec2fleet $$(grep -m1 '^version' Cargo.toml | cut -d'"' -f2) --file $(CARGO_TARGET_DIR)/release/pulumi-resource-ec2fleet

fuzz: ## a million arbitrary values through Check, CheckConfig, Diff and DiffConfig (release build)
	EC2FLEET_FUZZ_CASES=$${EC2FLEET_FUZZ_CASES:-1000000} cargo test --release --test fuzz -- --nocapture

bench: setup ## release build; start-up time, idle memory, fleet create/delete time and AWS calls
	cargo build --release
	$(PY) tests/bench/startup.py $(CARGO_TARGET_DIR)/release/pulumi-resource-ec2fleet
	$(PY) tests/bench/fleet.py $(CARGO_TARGET_DIR)/release/pulumi-resource-ec2fleet $(PULUMI_BIN)

emulator: setup ## start the AWS emulator (moto + our test bed) in the background; prints its URL
	tests/emulator/run.sh
