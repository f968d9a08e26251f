#!/usr/bin/env bash
# The issue-13 distillation study on stories260K: for a student at about 50%
# and one at about 25% of the teacher's parameters, train every method with
# the same steps, batch, window, seed (so the same data order and token
# budget), then evaluate on HELD-OUT text (tinystories-gen/valid.txt; training
# reads only train.txt) against the teacher. Prints one markdown table.
#
#   STEPS=250 EVAL_TOKENS=20000 scripts/study.sh     (what `make study` runs)
#
# Runs one training at a time (the sizes in sequence). Needs bin/distill and
# ../shared/data; exits with a message when the data is absent.
set -euo pipefail

STEPS=${STEPS:-150}
BATCH=${BATCH:-8}
SEQ=${SEQ:-256}
SEED=${SEED:-1}
EVAL_TOKENS=${EVAL_TOKENS:-20000}
# the distillation loss of every KD row (make demo-kd's: the teacher's
# distribution alone, at temperature 1)
KD=${KD:---alpha 1 --temperature 1}
OUT=${OUT:-/tmp/distill-study}
DATA=${DATA:-../shared/data}
DISTILL=${DISTILL:-bin/distill}
TEACHER=$DATA/stories260K/stories260K.bin
TRAIN=$DATA/tinystories-gen/train.txt
VALID=$DATA/tinystories-gen/valid.txt

for f in "$TEACHER" "$TRAIN" "$VALID" "$DISTILL"; do
	[ -e "$f" ] || { echo "study: $f is missing (needs ../shared/data and make build)" >&2; exit 1; }
done
mkdir -p "$OUT"

# The shapes of the two sizes. 50%: 2 of the 5 teacher layers (47.6%); its
# importance-pruned rival keeps 3 layers with FFN channels cut to 104 by
# activation importance (about the same count). 25%: 1 layer with the FFN cut
# to 128 channels by importance (26.4%); its rival is the plain layer subset,
# 1 whole layer (29.5%: init teacher_layers cannot cut the FFN).
declare -A SHAPE PRUNED
SHAPE[50]="--n-layers 2"
PRUNED[50]="--n-layers 3 --hidden-dim 104 --init importance"
SHAPE[25]="--n-layers 1 --hidden-dim 128 --init importance"
PRUNED[25]="--n-layers 1"

common=(--data "$TRAIN" --steps "$STEPS" --batch "$BATCH" --seq-len "$SEQ" --seed "$SEED"
	--lr 3e-3 --warmup 10 --checkpoint-every 100000 --force)

# evalrow NAME DIR [QUANTIZED]: one table row from distill eval --compare (and
# the q4_0 file's perplexity from distill quantize when QUANTIZED is set).
evalrow() {
	local name=$1 dir=$2 q=${3:-} j ppl qppl="" tps
	j=$("$DISTILL" eval "$dir" --data "$VALID" --compare "$TEACHER" --limit "$EVAL_TOKENS" --json 2>/dev/null)
	ppl=$(jq -r .result.ppl <<<"$j")
	if [ -n "$q" ]; then
		qppl=$("$DISTILL" quantize "$dir" --method q4_0 --data "$VALID" --limit "$EVAL_TOKENS" --json 2>/dev/null |
			jq -r '.report.methods[0].ppl')
		qppl=$(printf '%.3f' "$qppl")
	fi
	# training speed over the whole run: steps / sum of seconds per step
	tps=$(jq -s 'length / (map(1 / .tokens_per_s) | add) * 1' "$dir/metrics.jsonl")
	printf '| %s | %s | %s | %.3f | %.2fx | %.3f | %.3f | %s | %s |\n' "$size%" "$name" \
		"$(jq -r .model.params <<<"$j")" "$ppl" "$(jq -rn "$ppl / $TPPL")" \
		"$(jq -r .comparison.agreement <<<"$j")" "$(jq -r .comparison.kl <<<"$j")" "$qppl" "${tps%.*}"
}

# train NAME ARGS...: one student into $OUT/$size-NAME (skipped when done).
train() {
	local name=$1; shift
	local dir=$OUT/$size-$name
	if [ ! -e "$dir/result.json" ]; then
		echo "study: training $size% $name" >&2
		"$DISTILL" train "$TEACHER" "${common[@]}" --out "$dir" --json "$@" >"$dir.json.tmp" 2>"$dir.log"
		mkdir -p "$dir" && mv "$dir.json.tmp" "$dir/result.json"
	fi
}

TPPL=$("$DISTILL" eval "$TEACHER" --data "$VALID" --limit "$EVAL_TOKENS" --json 2>/dev/null | jq -r .result.ppl)
echo "teacher (stories260K, 260,032 params): validation PPL $(printf '%.3f' "$TPPL") on the first $EVAL_TOKENS tokens of $VALID"
echo "$STEPS steps x $BATCH windows x $SEQ tokens = $((STEPS * BATCH * SEQ)) training tokens per student, seed $SEED; KD rows: $KD"
echo
echo "| size | method | params | val PPL | / teacher | top-1 agree | KL(T‖S) | Q4_0 PPL | train tok/s |"
echo "|---|---|---|---|---|---|---|---|---|"
for size in 50 25; do
	read -ra shape <<<"${SHAPE[$size]}"
	read -ra pruned <<<"${PRUNED[$size]}"
	read -ra kd <<<"$KD"
	train hard "${shape[@]}" --alpha 0
	train fkl "${shape[@]}" "${kd[@]}" --divergence kl
	train rkl "${shape[@]}" "${kd[@]}" --divergence reverse_kl
	train jsd "${shape[@]}" "${kd[@]}" --divergence jsd
	train fkl-hidden "${shape[@]}" "${kd[@]}" --divergence kl --hidden-loss cosine
	train fkl-init "${pruned[@]}" "${kd[@]}" --divergence kl
	train rkl-onpolicy "${shape[@]}" "${kd[@]}" --divergence reverse_kl --on-policy 0.5
	train fkl-qad "${shape[@]}" "${kd[@]}" --divergence kl --qad q4_0
	evalrow "hard labels" "$OUT/$size-hard"
	evalrow "forward KL (train-then-quantize)" "$OUT/$size-fkl" q
	evalrow "reverse KL" "$OUT/$size-rkl"
	evalrow "JSD" "$OUT/$size-jsd"
	evalrow "forward KL + hidden cosine" "$OUT/$size-fkl-hidden"
	evalrow "forward KL, other init: ${PRUNED[$size]}" "$OUT/$size-fkl-init"
	evalrow "reverse KL + on-policy 0.5" "$OUT/$size-rkl-onpolicy"
	evalrow "forward KL + QAD q4_0" "$OUT/$size-fkl-qad" q
done
