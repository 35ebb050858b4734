// llama.cpp (through node-llama-cpp) decoding STREAMS sequences at once in one context, the way its
// server runs parallel slots: each sequence evaluates the same prompt and generates TOKENS tokens
// greedily; llama.cpp batches the sequences' steps together. For reef-bench-serve's comparison.
// Usage: node llama_cpp_streams.mjs NODE_MODULES MODEL.gguf STREAMS TOKENS PROMPT_IDS_JSON THREADS
// Prints {"streams", "tokens", "seconds", "tokens_per_s", "ttft_ms": [...]}.
import {join} from "node:path";
import {pathToFileURL} from "node:url";

const [modules, modelPath, streamsText, tokensText, idsJson, threadsText] = process.argv.slice(2);
const streams = Number(streamsText), count = Number(tokensText), prompt = JSON.parse(idsJson);
const {getLlama} = await import(pathToFileURL(join(modules, "node-llama-cpp", "dist", "index.js")).href);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({
  contextSize: 256,
  sequences: streams,
  threads: Number(threadsText),
});
const sequences = Array.from({length: streams}, () => context.getSequence());

async function stream(sequence, start) {
  let tokens = 0, firstMs = null;
  for await (const token of sequence.evaluate(prompt, {temperature: 0})) {
    if (firstMs === null) firstMs = performance.now() - start;
    if (++tokens >= count) break;
  }
  return {tokens, firstMs};
}

const start = performance.now();
const results = await Promise.all(sequences.map((s) => stream(s, start)));
const seconds = (performance.now() - start) / 1000;
const tokens = results.reduce((sum, r) => sum + r.tokens, 0);
console.log(JSON.stringify({streams, tokens, seconds, tokens_per_s: tokens / seconds, ttft_ms: results.map((r) => r.firstMs)}));
await context.dispose();
await model.dispose();
