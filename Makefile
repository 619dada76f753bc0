# aimonitor — two commands for a newcomer: `make demo` and `make test`.
# Every target installs what it needs first (apt, npm, Go modules), quietly
# and only when something is missing.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build
MAKEFLAGS += --no-print-directory

VERSION ?= $(shell git describe --tags --match 'v*' 2>/dev/null || echo v0.1.0-dev)
# The build's identity: the commit, and for a work tree with local changes
# a time of its own (every binary of one make run the same), so that no
# build trusts the token snapshot another one wrote (warm.BuildID).
BUILD_STAMP := $(shell git rev-parse HEAD 2>/dev/null)$(shell [ -z "$$(git status --porcelain 2>/dev/null)" ] || echo "-modified-$$(date +%s%N)")
LDFLAGS := -X github.com/aimonitor/aimonitor/backend/buildinfo.Version=$(VERSION) -X github.com/aimonitor/aimonitor/backend/buildinfo.Stamp=$(BUILD_STAMP)
WAILS   := go tool wails
# Three binaries, installed in one directory: the launcher users run
# (aimonitor: answers `version` and the fast paths, links no SQLite, TLS,
# D-Bus or YAML), the rest of the command line and the daemon
# (aimonitor-core, which the launcher execs), both pure Go and static on
# Linux, and the widget (Wails: GTK and WebKitGTK), which core starts when
# asked for the window. CLI names both command-line binaries: anything that
# runs $(BIN) needs both.
BIN     := build/bin/aimonitor
CORE    := build/bin/aimonitor-core
CLI     := $(BIN) $(CORE)
WIDGET  := build/bin/aimonitor-widget
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: build (GTK/WebKit), tests (X, window manager, keyring, browser).
APT_PKGS := build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.0-dev \
	xvfb openbox xdotool wmctrl x11-utils imagemagick chromium \
	gnome-keyring dbus-daemon dbus-bin libsecret-tools dunst tmux

GO_SRC := $(shell find . -name '*.go' -not -path './frontend/*' -not -path './build/*' 2>/dev/null) go.mod go.sum
FE_SRC := $(shell find frontend/src -type f -not -path '*/node_modules/*' 2>/dev/null) frontend/index.html frontend/vite.config.ts \
	frontend/svelte.config.js frontend/tsconfig.json frontend/package-lock.json
APP_GO := $(wildcard *.go)
NPM_STAMP := frontend/node_modules/.aimonitor-stamp
# The real Claude Code CLI, for proving a switch with `claude auth status`.
CLAUDE_VERSION := 2.1.197
CLAUDE_STAMP   := .cache/claude-code/.stamp-$(CLAUDE_VERSION)
# `make compat`: the oldest Claude Code we support, the one above and the
# newest verified (backend/claudecode/versions.go names the same, and a test
# keeps the two together; docs/compat.md says why these).
COMPAT_VERSIONS := 2.1.136 2.1.197 2.1.332
BINDINGS  := frontend/wailsjs/go/main/App.js

.PHONY: compat setup setup-apt setup-go build generate demo run dev test test-go test-frontend test-e2e test-static vet check clean help cli-docs

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

## ---------------------------------------------------------------- setup
setup: setup-apt setup-go $(NPM_STAMP) $(CLAUDE_STAMP) ## install missing apt, npm and Go dependencies (idempotent)

setup-apt:
	@missing=$$(for p in $(APT_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing $$(echo $$missing | wc -w) Debian package(s): $$missing"; \
	  $(SUDO) apt-get update -qq >/dev/null; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v node >/dev/null || { echo "setup: Node.js 20+ is required (https://nodejs.org or your distribution)"; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "setup: Node.js 20+ is required, found $$(node --version)"; exit 1; }

setup-go:
	@go mod download

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	@cd frontend && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

$(CLAUDE_STAMP):
	@npm install --prefix .cache/claude-code --no-audit --no-fund --loglevel=error @anthropic-ai/claude-code@$(CLAUDE_VERSION) >/dev/null
	@touch $@

## ---------------------------------------------------------------- build
generate: ## rewrite frontend/src/lib/contract.gen.ts from backend/view (commit the result)
	@go run ./tools/tsgen

$(BINDINGS): $(APP_GO) go.mod
	@$(WAILS) generate module >/dev/null 2>&1 || $(WAILS) generate module

frontend/dist/index.html: $(NPM_STAMP) $(BINDINGS) $(FE_SRC)
	@cd frontend && npx vite build --logLevel warn
	@touch frontend/dist/.gitkeep

# CGO_ENABLED=0 on Linux: no libc, nothing for the loader to map. On macOS
# cgo stays on for the Keychain (Security.framework) alone, in core; the
# launcher needs none anywhere.
$(BIN): $(GO_SRC)
	@mkdir -p $(@D)
	@CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $@ ./cmd/aimonitor
	@echo "built $(BIN) $(VERSION) (launcher)"

$(CORE): $(GO_SRC)
	@mkdir -p $(@D)
	@CGO_ENABLED=$(if $(filter Darwin,$(shell uname -s)),1,0) go build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $@ ./cmd/aimonitor-core
	@echo "built $(CORE) $(VERSION) (command line and daemon)"

$(WIDGET): $(GO_SRC) frontend/dist/index.html
	@$(WAILS) build -m -s -skipbindings -ldflags "$(LDFLAGS)" -o $(notdir $@) >/tmp/aimonitor-build.log 2>&1 || { cat /tmp/aimonitor-build.log; exit 1; }
	@echo "built $(WIDGET) $(VERSION) (widget)"

build: setup $(CLI) $(WIDGET) ## build build/bin/aimonitor (launcher), aimonitor-core (command line and daemon; both static) and aimonitor-widget

## ---------------------------------------------------------------- run
demo: build ## open the app in a throw-away sandbox on the built-in simulator
	@echo "demo: a temporary HOME and keyring; nothing touches your real ~/.claude, keyring or config."
	@scripts/with-display scripts/sandbox $(BIN) demo

run: build ## open the widget for real use (your own accounts), through build/bin/aimonitor
	@$(BIN)

dev: setup $(BINDINGS) ## live-reloading development window (wails dev)
	@$(WAILS) dev -m -ldflags "$(LDFLAGS)"

## ---------------------------------------------------------------- test
vet: setup-go ## go vet (Linux and macOS), staticcheck (staticcheck.conf), actionlint on .github/workflows
	@go vet ./...
	@GOOS=darwin CGO_ENABLED=0 go vet ./backend/...
	@go tool staticcheck ./...
	@go tool actionlint

test-go: setup-go $(NPM_STAMP) $(BINDINGS)
	@AIMONITOR_REQUIRE_KEYRING=1 AIMONITOR_REQUIRE_CLAUDE=1 AIMONITOR_REQUIRE_FRONTEND=1 go test -race -count=1 ./...

check: $(NPM_STAMP) $(BINDINGS) ## svelte-check (types)
	@cd frontend && npx svelte-check --tsconfig ./tsconfig.json --fail-on-warnings --output machine | tail -n 3

test-frontend: $(NPM_STAMP) $(BINDINGS)
	@cd frontend && npx vitest run

test-e2e: build
	@AIMONITOR_REQUIRE_KEYRING=1 AIMONITOR_REQUIRE_CLAUDE=1 go test -count=1 -tags e2e -timeout 15m ./e2e/...
	@AIMONITOR_REQUIRE_KEYRING=1 AIMONITOR_REQUIRE_CLAUDE=1 AIMONITOR_TEST_BINARY=$(abspath $(BIN)) \
		go test -count=1 -timeout 15m ./hardening/headless/

# The CLI, daemon, crash and fault tests and the status line under the
# real Claude Code once more, against the static binaries as real
# processes through the launcher (AIMONITOR_BIN; see
# hardening/internal/world), and the static build's own checks (linked
# statically, runs in an empty root, the launcher's budget and exec).
# hardening/headless already runs against it in test-e2e.
test-static: build
	@AIMONITOR_BIN=$(abspath $(BIN)) AIMONITOR_REQUIRE_KEYRING=1 AIMONITOR_REQUIRE_CLAUDE=1 \
		go test -count=1 ./cmd/aimonitor/... ./backend/cli/... ./backend/statusline/e2etest/ $$(go list ./hardening/... | grep -v /headless)

test: setup vet test-go check test-frontend test-e2e test-static package-test fuzz-short ## every test: vet, go test -race, svelte-check, vitest, end-to-end
	@echo "make test: all green"

cli-docs: setup-go ## shell completions (bash, zsh, fish) and man pages into build/cli-docs (the .deb ships them)
	go run ./tools/clidocs build/cli-docs

compat: setup-go $(CLAUDE_STAMP) ## the switch end-to-end tests (a live session in tmux included) against each of COMPAT_VERSIONS of Claude Code
	@for v in $(COMPAT_VERSIONS); do \
	  dir=.cache/claude-code-$$v; [ $$v != $(CLAUDE_VERSION) ] || dir=.cache/claude-code; \
	  [ -e $$dir/.stamp ] || [ $$v = $(CLAUDE_VERSION) ] || { npm install --prefix $$dir --no-audit --no-fund --loglevel=error @anthropic-ai/claude-code@$$v >/dev/null && touch $$dir/.stamp; }; \
	  bin=$$(ls $$dir/node_modules/@anthropic-ai/claude-code-linux-*/claude 2>/dev/null | head -n1 || true); \
	  [ -n "$$bin" ] || bin=$$PWD/$$dir/node_modules/.bin/claude; \
	  echo "compat: Claude Code $$v"; \
	  AIMONITOR_CLAUDE_BIN=$$(realpath $$bin) AIMONITOR_REQUIRE_CLAUDE=1 AIMONITOR_REQUIRE_KEYRING=1 \
	    go test -count=1 -timeout 20m ./backend/accounts/e2etest/... ./backend/statusline/e2etest/... || exit 1; \
	done
	@echo "make compat: all green on $(COMPAT_VERSIONS)"

clean:
	rm -rf build/bin build/test-artifacts frontend/dist/assets frontend/dist/index.html frontend/wailsjs
include packaging/package.mk
include hardening/hardening.mk
