#!/usr/bin/env bash
# The issue-14 scale table: random-weight models at the real shapes of
# SmolLM2-135M, Qwen2.5-0.5B and TinyLlama-1.1B (bf16 HF safetensors, the
# largest sharded), each measurement in a process of its own
# (cmd/scalebench); then, with PEER=1, the TinyLlama-1.1B bf16 teacher
# forward side by side with PyTorch (scripts/torch_peer_scale.py over
# ../shared/tools/torch_peer_bench.py; Debian's python3-torch).
#
#   THREADS=2 DIR=/tmp/distill-scale CORPUS_MB=2048 scripts/scale.sh   (what `make scale` runs)
#   PEER=1 scripts/scale.sh                               (adds the PyTorch comparison)
#   CORPUS_MB=0 scripts/scale.sh                          (leaves out the 2 GiB streamed corpus)
#
# Needs about 5 GB free under DIR (models and corpus, deleted at the end)
# and, for the KD column of TinyLlama-1.1B, about 13 GB of memory.
set -euo pipefail

THREADS=${THREADS:-2}
DIR=${DIR:-/tmp/distill-scale}
PEER=${PEER:-}
CORPUS_MB=${CORPUS_MB:-2048}
PEER_SCRIPT=${PEER_SCRIPT:-../shared/tools/torch_peer_bench.py}

go build -o bin/scalebench ./cmd/scalebench
bin/scalebench -dir "$DIR" -threads "$THREADS" -corpus-mb "$CORPUS_MB" ${SCALE_ARGS:-}
if [ -n "$PEER" ]; then
	[ -e "$PEER_SCRIPT" ] || { echo "scale: $PEER_SCRIPT is missing" >&2; exit 1; }
	echo
	echo "TinyLlama-1.1B teacher forward, bf16, batch 4 x 256, $THREADS threads:"
	/usr/bin/python3 scripts/torch_peer_scale.py "$PEER_SCRIPT" "$THREADS" 4 256
	bin/scalebench -dir "$DIR" -threads "$THREADS" -models TinyLlama-1.1B -only forward -seq 256 -reps 3
	/usr/bin/python3 scripts/torch_peer_scale.py "$PEER_SCRIPT" "$THREADS" 4 256
fi
