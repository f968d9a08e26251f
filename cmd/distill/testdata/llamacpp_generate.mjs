// Greedy generation with llama.cpp (through the node-llama-cpp package's
// prebuilt binaries), used by llamacpp_test.go to check that GGUF files
// written by distill load and run in llama.cpp.
//
//   node llamacpp_generate.mjs PROMPT N MODEL.gguf...
//
// DISTILL_LLAMA_THREADS caps llama.cpp's CPU threads (default 2), so the
// check stays light on a shared CI machine.
// prints one JSON object per model: {"path", "prompt_ids", "ids", "text"}.
import {getLlama} from "node-llama-cpp";

const [prompt, n, ...paths] = process.argv.slice(2);
const threads = Math.max(1, Number(process.env.DISTILL_LLAMA_THREADS) || 2);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: threads});
for (const path of paths) {
  const model = await llama.loadModel({modelPath: path});
  const ctx = await model.createContext({contextSize: 256, threads});
  const seq = ctx.getSequence();
  const promptIDs = model.tokenize(prompt);
  const ids = [];
  const input = model.tokens.bos != null ? [model.tokens.bos, ...promptIDs] : promptIDs;
  for await (const t of seq.evaluate(input, {temperature: 0})) {
    ids.push(t);
    if (ids.length >= Number(n)) break;
  }
  console.log(JSON.stringify({path, prompt_ids: Array.from(promptIDs), ids, text: model.detokenize(ids)}));
  await ctx.dispose();
  await model.dispose();
}
