#!/usr/bin/python3
"""Teacher forward of the TinyLlama-1.1B shape in bf16 with PyTorch on CPU.

Runs the model of the shared peer benchmark (torch_peer_bench.py, given as the
first argument) with its teacher built at TinyLlama-1.1B's shape (dim 2048, 22
layers, 32 heads, 4 key/value heads, FFN 5632, vocab 32000, untied) and cast to
bfloat16; its student part is left out. Prints one JSON line: tokens/s (the
middle of 3 timed passes after a warm-up), the CPU seconds of the middle pass
and GFLOP per CPU-second (what compares on a shared machine), and GFLOP/s by
the exact count
(model.Config.ForwardFLOPs: weight matmuls, the embedding lookup free, plus
causal attention) and by the peer's 2 x parameters.

    /usr/bin/python3 scripts/torch_peer_scale.py ../shared/tools/torch_peer_bench.py [threads] [batch] [seq]
"""
import sys

peer = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
B = int(sys.argv[3]) if len(sys.argv) > 3 else 4
T = int(sys.argv[4]) if len(sys.argv) > 4 else 256
src = open(peer).read()
src = src[:src.index("opt = torch.optim.AdamW")]  # the teacher forward only
for old, new in [
    ("V, T, B = 32000, 256, 4", f"V, T, B = 32000, {T}, {B}"),
    ("teacher = LM(V, 768, 12, 12, 12, 2048, T).eval()", "teacher = LM(V, 2048, 22, 32, 4, 5632, T).eval().to(torch.bfloat16)"),
    ("student = LM(V, 384, 6, 6, 6, 1024, T)", "student = teacher"),
    # CPU seconds of each timed pass beside its wall time: on a shared
    # machine, throughput per CPU-second is what compares
    ("t0 = time.perf_counter(); teacher(idx); ts.append(time.perf_counter() - t0)",
     "t0 = time.perf_counter(); c0 = time.process_time(); teacher(idx); ts.append(time.perf_counter() - t0); cs.append(time.process_time() - c0)"),
    ("    ts = []\n", "    ts, cs = [], []\n"),
]:
    if old not in src:
        sys.exit(f"torch_peer_scale: {peer} no longer contains {old!r}; update this script")
    src = src.replace(old, new)
sys.argv = [peer, str(threads)]
g = {"__name__": "peer"}
exec(compile(src, peer, "exec"), g)
res, tok_s = g["res"], g["res"]["teacher_forward_tok_s"]
C, L, H, KV, F, V = 2048, 22, 32, 4, 5632, 32000
hd = C // H
matmul_params = L * (C * C + 2 * C * KV * hd + C * C + 3 * C * F) + V * C
flops = 2 * matmul_params * B * T + 2 * B * C * T * (T + 1) * L
cpu = sorted(g["cs"])[1]
res.update({"shape": "TinyLlama-1.1B", "dtype": "bfloat16", "gflop_s": flops / (B * T / tok_s) / 1e9,
            "cpu_s_per_pass": cpu, "gflop_per_cpu_s": flops / cpu / 1e9,
            "gflop_s_peer_2xparams": 2 * g["nparams"](g["teacher"]) * tok_s / 1e9})
res.pop("student_params", None)
res.pop("teacher_forward_gflops", None)
print(__import__("json").dumps(res))
