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
	log "installing the openai npm package for tests"
	(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --silent)
}

# ONNX Runtime (from the onnxruntime-node npm package, which ships the
# linux x64 shared library; no install scripts run) and the Silero VAD v5
# model (from the silero-vad-go module's test files), for the local VAD.
ort_version=1.30.0
silero_module=github.com/streamer45/silero-vad-go@v0.2.1
vad_runtime() {
	local lib="$cache/lib/libonnxruntime.so.1" model="$cache/models/silero_vad.onnx"
	if [ ! -f "$lib" ]; then
		log "fetching ONNX Runtime $ort_version"
		local tmp
		tmp=$(mktemp -d)
		(cd "$tmp" && npm pack "onnxruntime-node@$ort_version" --silent >/dev/null)
		mkdir -p "$cache/lib"
		tar -xzf "$tmp/onnxruntime-node-$ort_version.tgz" -C "$tmp" \
			package/bin/napi-v6/linux/x64/libonnxruntime.so.1
		mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$lib"
		rm -rf "$tmp"
	fi
	if [ ! -f "$model" ]; then
		local dir
		dir=$(cd "$root" && go mod download -json "$silero_module" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
		mkdir -p "$cache/models"
		cp "$dir/testfiles/silero_vad.onnx" "$model"
		chmod 644 "$model"
	fi
}

# Native libraries the media path links against (G.722 from spandsp, Opus)
# and the local speech synthesizer and recognizer of the embedded default.
runtime_packages=(pkg-config libspandsp-dev libopus-dev flite espeak-ng libpocketsphinx-dev pocketsphinx-en-us)
# Real SIP peers the telephony tests call voiced with, and sox for test audio.
test_packages=(sip-tester baresip-core sox)

go_modules
command -v npm >/dev/null || apt_packages nodejs npm
apt_packages "${runtime_packages[@]}"
vad_runtime
if [ "${1:-}" = "test" ]; then
	apt_packages "${test_packages[@]}"
	node_client
fi
