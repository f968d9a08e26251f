// Tokenizes texts with llama.cpp (through the node-llama-cpp package's
// prebuilt binaries) using only the vocabulary of each GGUF file, for
// ggufvocab_llamacpp_test.go.
//
//   node llamacpp_tokenize.mjs TEXTS.json MODEL.gguf...
//
// prints one JSON object per model: {"path", "ids": [[...], ...]}, the ids
// of every text with special tokens parsed and no BOS added.
import fs from "node:fs";
import {getLlama} from "node-llama-cpp";

const [textsPath, ...paths] = process.argv.slice(2);
const texts = JSON.parse(fs.readFileSync(textsPath, "utf8"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: 1});
for (const path of paths) {
  const model = await llama.loadModel({modelPath: path, vocabOnly: true});
  const ids = texts.map((s) => Array.from(model.tokenize(s, true)));
  console.log(JSON.stringify({path, ids}));
  await model.dispose();
}
