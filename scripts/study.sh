#!/usr/bin/env bash
# The issue-13 distillation study: for a student at about 50% and one at about
# 25% of the teacher's parameters, train every method with the same steps,
# batch, window, seed (so the same data order and token budget), then
# evaluate on HELD-OUT text (training reads only the train file) against the
# teacher. Prints one markdown table.
#
#   STEPS=250 EVAL_TOKENS=20000 scripts/study.sh     (what `make study` runs)
#   MODEL=stories3M STEPS=200 JOBS=2 scripts/study.sh
#
# MODEL=stories260K (default): ../shared/data/stories260K on the generated
# stories (tinystories-gen), students at 50% and 25%, quantized column Q4_0.
# MODEL=stories3M: the real-width teacher testdata/stories3M on real
# TinyStories text (tinystories/train-head.txt, evaluated on the first 40,000
# tokens of valid-head.txt in windows of 256), batch 16, students at 42%
# (2 layers, FFN cut to 512 by importance: recipes/tinystories.yaml's) and
# 25%, quantized column Q4_K_M; its QAD rows are left out by default (ROWS).
# ROWS picks the methods (row names below), SIZES the sizes, JOBS how many
# trainings run at once (1: one after another). Each trained student and
# its evaluation stay in OUT, so a rerun only does what is missing. Needs
# bin/distill and ../shared/data; exits with a message when the data is absent.
set -euo pipefail

MODEL=${MODEL:-stories260K}
STEPS=${STEPS:-150}
SEQ=${SEQ:-256}
SEED=${SEED:-1}
JOBS=${JOBS:-1}
# the distillation loss of every KD row (make demo-kd's: the teacher's
# distribution alone, at temperature 1)
KD=${KD:---alpha 1 --temperature 1}
DATA=${DATA:-../shared/data}
DISTILL=${DISTILL:-bin/distill}

# The shapes of the two sizes (SHAPE) and each one's rival initialisation
# (OTHER, the "other init" row; OTHER2 a third, row fkl-init2).
declare -A SHAPE OTHER OTHER2
case $MODEL in
stories260K)
	TEACHER=$DATA/stories260K/stories260K.bin
	ABOUT="stories260K, 260,032 params"
	TRAIN=$DATA/tinystories-gen/train.txt
	VALID=$DATA/tinystories-gen/valid.txt
	BATCH=${BATCH:-8}
	EVAL_TOKENS=${EVAL_TOKENS:-20000}
	CONTEXT=0 # the model's maximum, 512
	QUANT=q4_0
	SIZES=${SIZES:-50 25}
	ROWS=${ROWS:-hard fkl rkl jsd fkl-hidden fkl-init rkl-onpolicy fkl-qad fkl-qad-tail}
	OUT=${OUT:-/tmp/distill-study}
	# 50%: 2 of the 5 teacher layers (47.6%); its importance-pruned rival keeps
	# 3 layers with FFN channels cut to 104 by activation importance (about the
	# same count). 25%: 1 layer with the FFN cut to 128 channels by importance
	# (26.4%); its rival is the plain layer subset, 1 whole layer (29.5%: init
	# teacher_layers cannot cut the FFN).
	SHAPE[50]="--n-layers 2"
	OTHER[50]="--n-layers 3 --hidden-dim 104 --init importance"
	SHAPE[25]="--n-layers 1 --hidden-dim 128 --init importance"
	OTHER[25]="--n-layers 1"
	;;
stories3M)
	TEACHER=testdata/stories3M/stories3M.gguf
	ABOUT="stories3M, 3,410,176 params"
	TRAIN=$DATA/tinystories/train-head.txt
	VALID=$DATA/tinystories/valid-head.txt
	BATCH=${BATCH:-16}
	EVAL_TOKENS=${EVAL_TOKENS:-40000}
	CONTEXT=256
	QUANT=q4_k_m
	SIZES=${SIZES:-42 25}
	ROWS=${ROWS:-hard fkl rkl jsd fkl-hidden fkl-init fkl-init2 fkl-onpolicy}
	OUT=${OUT:-/tmp/distill-study-3M}
	# 42%: 2 of the 4 layers with the FFN cut to 512 channels by importance
	# (1,443,072 params); its rival is the plain layer subset, 2 whole layers
	# (1,836,288, 53.8%). 25%: 1 layer, FFN 512 by importance (852,736,
	# 25.005%); its rival is 1 whole layer (1,049,344, 30.8%). fkl-init2: about
	# the same count as SHAPE, one layer deeper with a narrower FFN (42.33%:
	# 3 layers, FFN 256; 25.02%: 2 layers, FFN 128).
	SHAPE[42]="--n-layers 2 --hidden-dim 512 --init importance"
	OTHER[42]="--n-layers 2"
	OTHER2[42]="--n-layers 3 --hidden-dim 256 --init importance"
	SHAPE[25]="--n-layers 1 --hidden-dim 512 --init importance"
	OTHER[25]="--n-layers 1"
	OTHER2[25]="--n-layers 2 --hidden-dim 128 --init importance"
	;;
*)
	echo "study: MODEL is stories260K or stories3M, not $MODEL" >&2
	exit 1
	;;
esac
QNAME=$(tr a-z A-Z <<<"$QUANT")

for f in "$TEACHER" "$TRAIN" "$VALID" "$DISTILL"; do
	[ -e "$f" ] || { echo "study: $f is missing (needs ../shared/data and make build)" >&2; exit 1; }
done
mkdir -p "$OUT"

common=(--data "$TRAIN" --steps "$STEPS" --batch "$BATCH" --seq-len "$SEQ" --seed "$SEED"
	--lr 3e-3 --warmup 10 --checkpoint-every 100000 --force)
evalflags=(--data "$VALID" --limit "$EVAL_TOKENS" --context "$CONTEXT" --json)

# row NAME: sets label, args (the training flags) and quant (set: the row has
# a quantized-file column) of method NAME at $size.
row() {
	local shape other other2 kd
	read -ra shape <<<"${SHAPE[$size]}"
	read -ra other <<<"${OTHER[$size]}"
	read -ra other2 <<<"${OTHER2[$size]:-}"
	read -ra kd <<<"$KD"
	quant=""
	case $1 in
	hard) label="hard labels" args=("${shape[@]}" --alpha 0) ;;
	fkl) label="forward KL (train-then-quantize)" args=("${shape[@]}" "${kd[@]}" --divergence kl) quant=1 ;;
	rkl) label="reverse KL" args=("${shape[@]}" "${kd[@]}" --divergence reverse_kl) ;;
	jsd) label="JSD" args=("${shape[@]}" "${kd[@]}" --divergence jsd) ;;
	fkl-hidden) label="forward KL + hidden cosine" args=("${shape[@]}" "${kd[@]}" --divergence kl --hidden-loss cosine) ;;
	fkl-init) label="forward KL, other init: ${OTHER[$size]}" args=("${other[@]}" "${kd[@]}" --divergence kl) ;;
	fkl-init2)
		[ -n "${OTHER2[$size]:-}" ] || { echo "study: no fkl-init2 shape for $MODEL at $size%" >&2; exit 1; }
		label="forward KL, other init: ${OTHER2[$size]:-}" args=("${other2[@]}" "${kd[@]}" --divergence kl) ;;
	rkl-onpolicy) label="reverse KL + on-policy 0.5" args=("${shape[@]}" "${kd[@]}" --divergence reverse_kl --on-policy 0.5) ;;
	fkl-onpolicy) label="forward KL + on-policy 0.5" args=("${shape[@]}" "${kd[@]}" --divergence kl --on-policy 0.5) ;;
	fkl-qad) label="forward KL + QAD $QUANT" args=("${shape[@]}" "${kd[@]}" --divergence kl --qad "$QUANT") quant=1 ;;
	# QAD on the last tenth of the steps only (the README's setting): the
	# same run as fkl up to there, then fine-tuned as its export.
	fkl-qad-tail) label="forward KL + QAD $QUANT, last $((STEPS / 10)) steps" args=("${shape[@]}" "${kd[@]}" --divergence kl --qad "$QUANT" --qad-steps $((STEPS / 10))) quant=1 ;;
	*) echo "study: no row $1" >&2; exit 1 ;;
	esac
}

# train NAME: one student into $OUT/$size-NAME (skipped when done), at most
# JOBS at once.
train() {
	local dir=$OUT/$size-$1 label args quant
	row "$1"
	[ -e "$dir/result.json" ] && return
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	echo "study: training $size% $1" >&2
	{
		"$DISTILL" train "$TEACHER" "${common[@]}" --out "$dir" --json "${args[@]}" >"$dir.json.tmp" 2>"$dir.log" &&
			mkdir -p "$dir" && mv "$dir.json.tmp" "$dir/result.json"
	} &
}

# evalrow NAME: one table row from distill eval --compare (and the quantized
# file's perplexity from distill quantize when the row has one), kept in the
# student's folder.
evalrow() {
	local dir=$OUT/$size-$1 label args quant j q ppl qppl="" tps
	row "$1"
	j=$dir/eval-$EVAL_TOKENS.json
	[ -s "$j" ] || "$DISTILL" eval "$dir" "${evalflags[@]}" --compare "$TEACHER" 2>/dev/null >"$j"
	ppl=$(jq -r .result.ppl "$j")
	if [ -n "$quant" ]; then
		q=$dir/quant-$QUANT-$EVAL_TOKENS.json
		[ -s "$q" ] || "$DISTILL" quantize "$dir" --method "$QUANT" "${evalflags[@]}" 2>/dev/null >"$q"
		qppl=$(printf '%.3f' "$(jq -r '.report.methods[0].ppl' "$q")")
	fi
	# training speed over the whole run: steps / sum of seconds per step
	tps=$(jq -s 'length / (map(1 / .tokens_per_s) | add) * 1' "$dir/metrics.jsonl")
	printf '| %s | %s | %s | %.3f | %.2fx | %.3f | %.3f | %s | %s |\n' "$size%" "$label" \
		"$(jq -r .model.params "$j")" "$ppl" "$(jq -rn "$ppl / $TPPL")" \
		"$(jq -r .comparison.agreement "$j")" "$(jq -r .comparison.kl "$j")" "$qppl" "${tps%.*}"
}

for size in $SIZES; do
	for r in $ROWS; do train "$r"; done
done
wait
for size in $SIZES; do
	for r in $ROWS; do
		[ -e "$OUT/$size-$r/result.json" ] || { echo "study: $size% $r did not train (see $OUT/$size-$r.log)" >&2; exit 1; }
	done
done

TPPL=$("$DISTILL" eval "$TEACHER" "${evalflags[@]}" 2>/dev/null | jq -r .result.ppl)
echo "teacher ($ABOUT): validation PPL $(printf '%.3f' "$TPPL") on the first $EVAL_TOKENS tokens of $VALID"
echo "$STEPS steps x $BATCH windows x $SEQ tokens = $((STEPS * BATCH * SEQ)) training tokens per student, seed $SEED; KD rows: $KD"
echo
echo "| size | method | params | val PPL | / teacher | top-1 agree | KL(T‖S) | $QNAME PPL | train tok/s |"
echo "|---|---|---|---|---|---|---|---|---|"
for size in $SIZES; do
	for r in $ROWS; do evalrow "$r"; done
done
