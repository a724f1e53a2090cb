#!/usr/bin/env bash
# Issue 17, item 7: the training planner of --dry-run --train, against facts
# found without it.
#  (a) its gradient, optimizer and master terms are 4, 8 and 4 bytes per
#      local element of the parameter count the same dry run prints (masters
#      for bfloat16 only), its parameter term the rank's bytes;
#  (b) its peak at --ranks 2 is within 10% of the peak RSS measured by a real
#      2-rank training run of the same deck (float32, bfloat16, activation
#      checkpointing off and on, a larger batch, tp = 2 with checkpointing
#      off and on, DeepSeek-V3 at ep = 2);
#  (c) its FLOPs per step equal the FLOPs a real run's kernels count
#      (train.flops_per_step) for every decoder family, checkpointing off and on;
#  (d) a plan that does not fit --memory-per-rank says so, exits 0, and every
#      change it advises fits when planned again (and one step further does not).
# Usage: train_plan.sh TITAN_APP MPIEXEC; PARTS (environment) picks some of
# terms peak flops advice (default: all), so that CTest can run them apart.
set -euo pipefail
parts=" ${PARTS:-terms peak flops advice} "
app=$1
mpiexec=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=${PYTHON:-python3}
"$py" -c "import json" 2> /dev/null || py=/usr/bin/python3

plan() {  # plan JSON_OUT ARGS...: a dry run's report
  local out=$1
  shift
  "$app" --dry-run --train --quiet --report-json "$out" "$@" > "$tmp/plan.txt"
}

# ---- (a) the terms against the per-rank parameter counts
[[ $parts == *" terms "* ]] && for args in "inputs/llama3_debug.toml --ranks 2" "inputs/llama3_debug.toml --ranks 3 --set run.dtype=bfloat16" \
            "inputs/qwen3_debugmodel_moe.toml --ranks 4 --set mesh.ep=2 --set run.dtype=bfloat16" \
            "inputs/deepseek_v3_debug.toml --ranks 2 --set mesh.tp=2"; do
  # shellcheck disable=SC2086  # args holds several arguments
  plan "$tmp/a.json" $args
  "$py" - "$tmp/a.json" "$args" << 'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p, t = r["params"], r["train_plan"]["terms"]
# The largest plan is on a rank with the most parameters in these layouts.
n, size = p["max_per_rank"], {"float32": 4, "bfloat16": 2}[r["dtype"]]
want = {"parameters": n * size, "gradients": 4 * n, "optimizer_states": 8 * n,
        "masters": 4 * n if r["dtype"] == "bfloat16" else 0}
for k, v in want.items():
    assert t[k] == v, f"{sys.argv[2]}: {k} = {t[k]}, expected {v} ({n} local elements at {r['dtype']})"
print(f"{sys.argv[2]}: rank {r['train_plan']['rank']}: {n} elements, terms as expected")
PY
done

# ---- (b) the planned peak against a real 2-rank run's measured peak
if [[ $parts == *" peak "* ]]; then
  . "$(dirname "$0")/require_page_rss.sh"
  require_page_granular_rss "$py"
fi
# Each case is Llama3's debug deck with these settings, or another deck named first.
[[ $parts == *" peak "* ]] && for sets in "" "--set run.dtype=bfloat16" "--set train.activation_checkpointing=full" \
            "--set train.batch=4 --set train.seq_len=128" \
            "--set train.batch=4 --set train.seq_len=128 --set train.activation_checkpointing=full" \
            "--set mesh.tp=2" "--set mesh.tp=2 --set train.activation_checkpointing=full" \
            "inputs/deepseek_v3_debug.toml --set mesh.ep=2"; do
  deck=inputs/llama3_debug.toml
  if [[ $sets == inputs/* ]]; then deck=${sets%% *}; sets=${sets#* }; fi
  # shellcheck disable=SC2086
  plan "$tmp/b_plan.json" "$deck" --ranks 2 $sets
  # shellcheck disable=SC2086
  "$mpiexec" -n 2 --oversubscribe "$app" "$deck" --quiet --train --set train.steps=2 $sets \
    --report-json "$tmp/b_run.json" > /dev/null
  "$py" - "$tmp/b_plan.json" "$tmp/b_run.json" "$(basename "$deck" .toml) ${sets:-float32}" << 'PY'
import json, sys
plan = json.load(open(sys.argv[1]))["train_plan"]["peak_bytes"]
peak = json.load(open(sys.argv[2]))["train"]["peak_rss"]
rel = (plan - peak) / peak
print(f"{sys.argv[3]}: dry-run plan {plan / 2**20:.1f} MiB, real 2-rank peak RSS {peak / 2**20:.1f} MiB ({rel:+.1%})")
assert abs(rel) <= 0.10, f"the dry run's plan is {rel:+.1%} off the measured peak"
PY
done

# ---- (c) FLOPs per step: the dry run's model against the real run's count
# Small models (as tests/train/CMakeLists.txt's), each with what makes its
# family's products: GQA, MoE (Qwen3, Llama4, DeepSeek-V3, gpt-oss), chunked
# attention of 6 (Llama4; 32 = 5 chunks + 2), MLA with its q-lora path, a
# window of 6 (gpt-oss); seq_len 32.
flops_models=(
  "llama3_debug:dim=64 n_layers=2 n_heads=4 n_kv_heads=2 vocab_size=128 multiple_of=32"
  "qwen3_debugmodel_moe:dim=64 n_layers=2 n_heads=4 n_kv_heads=2 head_dim=16 moe_hidden_dim=32 num_experts=8 top_k=2 vocab_size=128"
  "llama4_debug:dim=64 n_layers=2 n_heads=4 n_kv_heads=2 vocab_size=128 multiple_of=32 num_experts=4 fixed_attn_block_size=6"
  "deepseek_v3_debug:dim=64 n_layers=2 n_heads=4 kv_lora_rank=16 qk_nope_head_dim=8 qk_rope_head_dim=8 v_head_dim=8 hidden_dim=96 moe_hidden_dim=16 num_experts=8 top_k=3 n_expert_groups=4 n_limited_groups=2 vocab_size=128 q_lora_rank=16"
  "gpt_oss_debug:dim=64 n_layers=2 n_heads=4 n_kv_heads=2 head_dim=16 moe_hidden_dim=16 num_experts=8 sliding_window=6 vocab_size=128"
)
[[ $parts == *" flops "* ]] && for entry in "${flops_models[@]}"; do
  deck=${entry%%:*}
  sets=(--set train.seq_len=32)
  for kv in ${entry#*:}; do sets+=(--set "model.$kv"); done
  for ck in none full; do
    plan "$tmp/c_plan.json" "inputs/$deck.toml" "${sets[@]}" --set train.activation_checkpointing=$ck
    n=1
    [ "$deck" = llama3_debug ] && n=2  # all ranks together: the whole batch's
    "$mpiexec" -n $n --oversubscribe "$app" "inputs/$deck.toml" --quiet --train --set train.steps=1 "${sets[@]}" \
      --set train.activation_checkpointing=$ck --report-json "$tmp/c_run.json" > /dev/null
    "$py" - "$tmp/c_plan.json" "$tmp/c_run.json" "$deck $ck at $n rank(s)" << 'PY'
import json, sys
plan = json.load(open(sys.argv[1]))["train_plan"]["flops_per_step"]
run = json.load(open(sys.argv[2]))["train"]["flops_per_step"]
print(f"{sys.argv[3]}: planned {plan:.6g} FLOPs per step, counted {run:.6g}")
assert plan == run and run > 0, "the planned FLOPs differ from the counted ones"
PY
  done
done

# ---- (d) does not fit: the advice, then each advised change planned again
if [[ $parts != *" advice "* ]]; then
  echo "training plan:$parts as expected"
  exit 0
fi
big="inputs/llama3_debug.toml --ranks 2 --set train.batch=64 --set train.seq_len=256 --memory-per-rank 700MiB"
# shellcheck disable=SC2086
plan "$tmp/d.json" $big
grep -q "fits: NO" "$tmp/plan.txt" || { echo "no 'fits: NO' line"; cat "$tmp/plan.txt"; exit 1; }
grep -q "what would fit: " "$tmp/plan.txt" || { echo "no advice"; exit 1; }
"$py" - "$tmp/d.json" > "$tmp/advice.txt" << 'PY'
import json, re, sys
t = json.load(open(sys.argv[1]))["train_plan"]
assert t["fits"] is False and t["memory_per_rank"] == 700 * 2**20, t
a = t["advice"]
batch = re.search(r"at most train\.batch = (\d+) fits at seq_len = 256", a).group(1)
seq = re.search(r"train\.seq_len = (\d+) fits at batch = 64", a).group(1)
ckpt = re.search(r"with train\.activation_checkpointing = full: train\.batch = (\d+)", a).group(1)
ranks = re.search(r"about (\d+) ranks would fit", a).group(1)
print(batch, seq, ckpt, ranks)
PY
read -r batch seq ckpt ranks < "$tmp/advice.txt"
echo "advice: batch $batch, seq_len $seq, checkpointing with batch $ckpt, $ranks ranks"
fits() {  # fits yes|NO ARGS...: the plan's verdict
  local want=$1
  shift
  "$app" --dry-run --train --quiet "$@" > "$tmp/f.txt"
  grep -q "fits: $want" "$tmp/f.txt" || { echo "expected 'fits: $want' for: $*"; grep "fits:" "$tmp/f.txt"; exit 1; }
}
d=inputs/llama3_debug.toml
m="--memory-per-rank 700MiB"
# shellcheck disable=SC2086
{
  fits yes $d --ranks 2 $m --set train.batch="$batch" --set train.seq_len=256
  fits NO $d --ranks 2 $m --set train.batch=$((batch + 1)) --set train.seq_len=256
  fits yes $d --ranks 2 $m --set train.batch=64 --set train.seq_len="$seq"
  fits NO $d --ranks 2 $m --set train.batch=64 --set train.seq_len=$((seq * 2))
  fits yes $d --ranks 2 $m --set train.batch="$ckpt" --set train.seq_len=256 --set train.activation_checkpointing=full
  fits NO $d --ranks 2 $m --set train.batch=$((ckpt + 1)) --set train.seq_len=256 --set train.activation_checkpointing=full
  fits yes $d --ranks "$ranks" $m --set train.batch=64 --set train.seq_len=256
  fits NO $d --ranks $((ranks / 2)) $m --set train.batch=64 --set train.seq_len=256
}
echo "training plan: terms, peak, FLOPs and advice as expected"
