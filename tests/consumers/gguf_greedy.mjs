// Greedy decoding of a GGUF model with llama.cpp (through node-llama-cpp), for Reef's export
// tests: node gguf_greedy.mjs NODE_MODULES MODEL.gguf PROMPT_IDS_JSON COUNT TEXT
// prints {"tokens": [...], "tokenized": [...]} (TEXT as llama.cpp's tokenizer splits it).
import {join} from "node:path";
import {pathToFileURL} from "node:url";

const [modules, modelPath, idsJson, count, text] = process.argv.slice(2);
const {getLlama} = await import(pathToFileURL(join(modules, "node-llama-cpp", "dist", "index.js")).href);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: 256, batchSize: 256, threads: 2});
const sequence = context.getSequence();
const tokens = [];
for await (const token of sequence.evaluate(JSON.parse(idsJson), {temperature: 0})) {
  tokens.push(token);
  if (tokens.length >= Number(count)) break;
}
console.log(JSON.stringify({tokens, tokenized: model.tokenize(text)}));
await context.dispose();
await model.dispose();
