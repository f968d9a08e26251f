// Prompt processing and generation speed of llama.cpp (through the
// node-llama-cpp package's prebuilt binaries), used by
// llamacpp_bench_test.go to time distill and llama.cpp side by side on the
// same GGUF file.
//
//   node llamacpp_bench.mjs PROMPT_TOKENS GEN_TOKENS MODEL.gguf...
//
// DISTILL_LLAMA_THREADS is llama.cpp's CPU thread count (default 2). For
// each model: one untimed warm-up pass, then prompt processing (token ids
// 1..PROMPT_TOKENS, one batch, no sampling) and greedy generation of
// GEN_TOKENS tokens after it (each a one-token evaluation). Prints one JSON
// object per model: {"path", "pp_s", "tg_s", "pp_cpu_s", "tg_cpu_s"}
// (seconds of wall time, and of the process's CPU time, all threads:
// process.cpuUsage).
import {getLlama} from "node-llama-cpp";

const [pp, tg, ...paths] = process.argv.slice(2);
const P = Number(pp), N = Number(tg);
const threads = Math.max(1, Number(process.env.DISTILL_LLAMA_THREADS) || 2);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: threads});
const prompt = Array.from({length: P}, (_, i) => 1 + (i * 7919) % 500);
for (const path of paths) {
  const model = await llama.loadModel({modelPath: path});
  const ctx = await model.createContext({contextSize: P + N + 16, batchSize: P, threads});
  const seq = ctx.getSequence();
  const run = async () => {
    await seq.clearHistory();
    const cpu = (c) => (c.user + c.system) / 1e6;
    let t0 = performance.now(), c0 = process.cpuUsage();
    await seq.evaluateWithoutGeneratingNewTokens(prompt);
    const ppS = (performance.now() - t0) / 1000, ppCPU = cpu(process.cpuUsage(c0));
    let n = 0;
    t0 = performance.now();
    c0 = process.cpuUsage();
    for await (const t of seq.evaluate([prompt[P - 1]], {temperature: 0})) {
      if (++n >= N) break;
    }
    return {ppS, tgS: (performance.now() - t0) / 1000, ppCPU, tgCPU: cpu(process.cpuUsage(c0))};
  };
  await run();
  const r = await run();
  console.log(JSON.stringify({path, pp_s: r.ppS, tg_s: r.tgS, pp_cpu_s: r.ppCPU, tg_cpu_s: r.tgCPU}));
  await ctx.dispose();
  await model.dispose();
}
