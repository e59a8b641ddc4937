#!/usr/bin/env bash
# Installs what voiced needs to build, run and test on a fresh Debian machine.
# Idempotent: each step checks first and is skipped when already done, so
# `make run` and `make test` stay quick once a machine is set up.
#
#   scripts/setup.sh          what building and running need
#   scripts/setup.sh test     also what the test suite needs
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache"
mkdir -p "$cache"

log() { printf 'setup: %s\n' "$*" >&2; }

# Go modules, once per module cache.
go_modules() {
	(cd "$root" && go mod download) || { log "go mod download failed"; exit 1; }
}

# Debian packages, installed only when one is missing.
apt_packages() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	log "installing Debian packages: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The official openai npm package, for the chat API's client-compatibility
# test. The lock file pins it; nothing runs at install time.
node_client() {
	local dir="$root/web/testdata/node"
	[ -d "$dir/node_modules/openai" ] && return
	command -v npm >/dev/null || apt_packages nodejs npm
	log "installing the openai npm package for tests"
	(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --silent)
}

go_modules
if [ "${1:-}" = "test" ]; then
	node_client
fi
