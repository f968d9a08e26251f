// Greedy continuation of token-id prompts with llama.cpp (through the
// node-llama-cpp package's prebuilt binaries), used by
// llamacpp_families_test.go to compare llama.cpp's tokens with distill's on
// random models of each family.
//
//   node llamacpp_tokens.mjs SPEC.json
//
// SPEC.json: [{"path": "m.gguf", "prompts": [[1, 5, 9], ...], "n": 24}, ...]
// (prompt ids include BOS). Prints one JSON object per model and prompt:
// {"path", "prompt", "ids", "probs"} (probs: per step the 4 most probable
// [id, probability] pairs); generation stops after n tokens or at an
// end-of-generation token. DISTILL_LLAMA_THREADS caps the threads (2).
import {readFileSync} from "node:fs";
import {getLlama} from "node-llama-cpp";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const threads = Math.max(1, Number(process.env.DISTILL_LLAMA_THREADS) || 2);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: threads});
for (const m of spec) {
  const model = await llama.loadModel({modelPath: m.path});
  for (let p = 0; p < m.prompts.length; p++) {
    // An F32 KV cache (llama.cpp's default is F16) and no flash attention
    // (the default "auto" turns it on, and its CPU kernel rounds to F16
    // whatever the cache type: top-2 logit gaps moved by ~1e-3) so that
    // both engines compute in float32 throughout.
    const ctx = await model.createContext({contextSize: 256, threads, flashAttention: false,
      experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"});
    const seq = ctx.getSequence();
    const ids = [], probs = [];
    for await (const out of seq.evaluateWithMetadata(m.prompts[p], {probabilities: true}, {temperature: 0})) {
      ids.push(out.token);
      // The step's most probable tokens with llama.cpp's probabilities.
      const top = [...out.probabilities.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
      probs.push(top);
      if (ids.length >= m.n) break;
    }
    console.log(JSON.stringify({path: m.path, prompt: p, ids, probs}));
    await ctx.dispose();
  }
  await model.dispose();
}
