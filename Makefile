# voiced: `make run` serves the embedded default, `make test` runs every test.
# Both install what is missing first (scripts/setup.sh), so they work on a
# fresh machine.

CONFIG ?= configs/embedded.yaml
GO     ?= go

.PHONY: build run test bench fuzz vet deps clean

deps:
	@scripts/setup.sh

build: deps
	$(GO) build -o bin/voiced ./cmd/voiced

run: build
	bin/voiced serve --config $(CONFIG)

test: build
	@scripts/setup.sh test
	$(GO) vet ./...
	VOICED_REQUIRE_NODE=1 VOICED_REQUIRE_FLITE=1 VOICED_REQUIRE_PEERS=1 VOICED_REQUIRE_VAD=1 VOICED_REQUIRE_SPHINX=1 VOICED_REQUIRE_ESPEAK=1 $(GO) test -count=1 -timeout 15m ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

vet:
	$(GO) vet ./...

clean:
	rm -rf bin .cache
