# stepup — every command a user or CI needs. Each target installs what is missing first.
#   make test    all test layers (native, node, types, headless Chromium)
#   make demo    the local IdP, the edge worker and the demo SPA
#   make bench   the benchmarks
#   make worker  only the edge worker, in workerd, configured from the environment

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

# wasm-opt and wasm-bindgen from PATH: the project's own npm binaryen (Debian's binaryen 108
# cannot read the reference-types code current Rust emits) and cargo's bin dir.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver

# The wasm-bindgen CLI must be exactly the version of the crate in Cargo.lock.
WASM_BINDGEN_VERSION = $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)

.PHONY: setup build test test-native test-lint test-deps test-js test-types test-browser test-e2e test-fuzz fuzz demo bench worker clean

## setup: install only what is missing (idempotent)
setup: node_modules/.package-lock.json
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); fi
	@command -v wasm-pack >/dev/null || cargo install wasm-pack
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v wrk >/dev/null; then \
	  echo "installing Debian's chromium, chromium-driver and wrk (the guard's load test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver wrk >/dev/null; fi

node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

## build: the npm package in pkg/, one build per audience (each rebuilt only when the crate changed):
##   pkg/          the full build, for node and edge workers: the guard and the native signature
##                 fallback, at full speed (profile release-worker, wasm-opt -O3); no browser client;
##   pkg/browser/  what an SPA imports (the `browser` condition of pkg/package.json's exports): the
##                 browser client, no guard, no fallback, as small as it gets (profile browser:
##                 std rebuilt for size, panics abort at once, wasm-opt -Oz).
build: setup pkg/package.json

RUST_SOURCES = Cargo.toml Cargo.lock $(shell find src -name '*.rs')
# The Cargo features of each build (Cargo.toml); `cargo test` has them all.
FULL_FEATURES = --no-default-features --features guard,native-crypto
BROWSER_FEATURES = --no-default-features --features client
WASM_OUT = target/wasm32-unknown-unknown
# What current Rust emits for wasm32, spelled out for wasm-opt.
WASM_FEATURES = --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  --enable-reference-types --enable-multivalue

# A failed step must not leave a target that looks up to date.
.DELETE_ON_ERROR:

pkg/stepup_bg.wasm: $(RUST_SOURCES)
	cargo build --lib --target wasm32-unknown-unknown --profile release-worker $(FULL_FEATURES)
	wasm-bindgen --target web --out-dir pkg $(WASM_OUT)/release-worker/stepup.wasm
	wasm-opt -O3 $(WASM_FEATURES) $@ -o $@

# The browser build rebuilds std for size (rust-src; RUSTC_BOOTSTRAP lets the stable toolchain
# take the -Z flags, as for cargo-fuzz; -Z panic-immediate-abort needs cargo 1.92 or later, the
# crate itself builds with its rust-version) and makes a panic abort at once: no panic messages, no
# source locations and none of the formatting they need (9 % of the gzipped wasm). A panic traps
# either way (panic = "abort"), and clippy denies them on input (test-lint).
BROWSER_STD = -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size \
  -Z panic-immediate-abort --config 'profile.browser.panic="immediate-abort"'

pkg/browser/stepup_bg.wasm: $(RUST_SOURCES) Makefile
	RUSTC_BOOTSTRAP=1 cargo build --lib --target wasm32-unknown-unknown --profile browser $(BROWSER_FEATURES) $(BROWSER_STD)
	wasm-bindgen --target web --out-dir pkg/browser $(WASM_OUT)/browser/stepup.wasm
	wasm-opt -Oz $(WASM_FEATURES) $@ -o $@

pkg/package.json: pkg/stepup_bg.wasm pkg/browser/stepup_bg.wasm $(wildcard js/*) README.md LICENSE
	node js/package.mjs

test: build test-native test-lint test-deps test-js test-types test-browser test-e2e test-fuzz
	@echo "make test: every layer passed"

test-native:
	cargo fmt --check
	cd fuzz && cargo fmt --check
	cargo test --all-targets
	cargo clippy --all-targets -- -D warnings
	@# The browser build's feature set (no guard, no native signature fallback).
	cargo test $(BROWSER_FEATURES)
	cargo clippy --all-targets $(BROWSER_FEATURES) -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps

# No panics on input: clippy denies unwrap/expect/panic/indexing outside the tests (src/lib.rs),
# for the wasm build too, and a text check with an explicit allow-list says the same.
test-lint: setup
	cargo clippy --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --target wasm32-unknown-unknown $(FULL_FEATURES) -- -D warnings
	cargo clippy --target wasm32-unknown-unknown $(BROWSER_FEATURES) -- -D warnings
	bash tests/lint/no-panics.sh

# The core must build natively without any of the JavaScript glue.
test-deps:
	@if cargo tree -e normal,build --prefix none | grep -E '^(wasm-bindgen|js-sys|web-sys) '; then \
	  echo "the native dependency tree must not contain wasm-bindgen, js-sys or web-sys"; exit 1; fi
	@echo "native dependency tree: no wasm-bindgen"

test-js: setup
	node --test tests/js/

test-types:
	tsc --noEmit -p tests/types/tsconfig.json
	tsc --noEmit -p tests/types/tsconfig.shell.json
	tsc --noEmit -p tests/types/tsconfig.node.json
	@for types in pkg/stepup.d.ts pkg/browser/stepup.d.ts; do \
	  ! grep -nE '^export (function|const|type|interface).*\bany\b' $$types || (echo "$$types exports 'any'"; exit 1); \
	  ! grep -n 'Promise<Promise' $$types || (echo "$$types declares a nested Promise"; exit 1); \
	done
	@echo "types: ok"

test-browser: setup
	wasm-pack test --headless --chrome -- --test web

# pkg/ loaded with init() in headless Chromium (playwright-core driving Debian's chromium).
test-e2e:
	node --test tests/e2e/

# Fuzzing (cargo-fuzz, libFuzzer): every parser of untrusted input, for FUZZ_SECONDS each. The
# machine has only the stable toolchain, so RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z flags.
# The targets are built once, then fuzzed FUZZ_JOBS at a time (libFuzzer uses one core each); a
# target that crashes, or ends without libFuzzer's "Done", prints what it said and fails the run.
FUZZ_TARGETS = $(sort $(basename $(notdir $(wildcard fuzz/fuzz_targets/*.rs))))
FUZZ_SECONDS ?= 10
FUZZ_JOBS ?= $(shell nproc)

test-fuzz: setup
	RUSTC_BOOTSTRAP=1 cargo fuzz build
	@printf '%s\n' $(FUZZ_TARGETS) | xargs -P $(FUZZ_JOBS) -I '{}' bash -c '\
	  out=$$(RUSTC_BOOTSTRAP=1 cargo fuzz run {} -- -max_total_time=$(FUZZ_SECONDS) 2>&1); status=$$?; \
	  done=$$(grep -E "^Done" <<< "$$out"); echo "fuzzed {} for $(FUZZ_SECONDS) s: $${done:-no Done}"; \
	  if [ $$status -ne 0 ] || [ -z "$$done" ]; then grep -E "^(==|SUMMARY)|panicked|[Ee]rror" <<< "$$out" | head -60; exit 1; fi'

## fuzz: longer campaigns: each cargo-fuzz target for FUZZ_SECONDS (300 by default), then
## DIFF_CASES (20000) random tokens verified by stepup and by jose, from DIFF_SEED (a new one
## each run unless given; printed, so a failure can be replayed)
fuzz: FUZZ_SECONDS = 300
fuzz: build test-fuzz
	DIFF_CASES=$${DIFF_CASES:-20000} DIFF_SEED=$${DIFF_SEED:-$$(date +%s)} node --test tests/js/differential.test.mjs

## demo: the local IdP, the bank's server (www/) and the edge guard in front of it on 127.0.0.1;
## IDP_PROFILE=fief|auth0|wso2|janssen picks the dialect, PORT the guard's port (default 8787)
demo: build
	node www/demo.mjs

# stepup against jose and bare WebCrypto in node, workerd and Chromium, the guard under wrk, the
# core natively, sizes, cold start and memory: prints the table, kept in tests/bench/RESULTS.md.
bench: build
	node tests/bench/run.mjs

## worker: the edge guard in workerd on 127.0.0.1:$PORT (default 8787), set up from STEPUP_*
worker: build
	node worker/serve.mjs

clean:
	rm -rf pkg target node_modules
