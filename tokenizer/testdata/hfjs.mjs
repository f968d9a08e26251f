// Encodes and decodes texts with the JavaScript implementation of HF
// tokenizers (npm @huggingface/tokenizers), the reference of
// TestRealTokenizers. Usage: node hfjs.mjs NODE_MODULES IN.json OUT.json
// IN: {"tokenizers": {name: dir holding tokenizer.json and
// tokenizer_config.json}, "texts": [...]}; OUT: {name: [{ids, bos_ids,
// dec}]}: ids without special tokens, bos_ids with them (the
// post-processor's template), dec the decode of ids with special tokens
// skipped and no clean-up of spaces.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [nodeModules, inPath, outPath] = process.argv.slice(2);
const lib = path.join(nodeModules, '@huggingface', 'tokenizers', 'dist', 'tokenizers.mjs');
const { Tokenizer } = await import(pathToFileURL(lib).href);
const input = JSON.parse(fs.readFileSync(inPath, 'utf8'));
const out = {};
for (const [name, dir] of Object.entries(input.tokenizers)) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  const tok = new Tokenizer(json, config);
  out[name] = input.texts.map((s) => {
    const ids = tok.encode(s, { add_special_tokens: false }).ids;
    const bosIds = tok.encode(s, { add_special_tokens: true }).ids;
    const dec = ids.length === 0 ? '' : tok.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
    return { ids, bos_ids: bosIds, dec };
  });
}
fs.writeFileSync(outPath, JSON.stringify(out));
