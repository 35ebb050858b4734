// The official OpenAI client (npm `openai`) against `reef serve` of a speech synthesizer: the same
// text as wav, flac and pcm written to OUT_DIR, a faster reading, a long text read as a stream
// (how many pieces arrived, and when the first did), then an empty input and a format Reef does
// not make, which must fail with 400 naming the parameter.
// Usage: node openai_speech.mjs NODE_MODULES BASE_URL API_KEY OUT_DIR TEXT LONG_TEXT
import fs from "node:fs";
import path from "node:path";
import { connect } from "./reef_openai.mjs";

const [modules, baseURL, apiKey, outDir, text, longText] = process.argv.slice(2);
const { client, model } = await connect(modules, baseURL, apiKey);

async function save(name, request) {
  const response = await client.audio.speech.create({ model, voice: "alloy", ...request });
  fs.writeFileSync(path.join(outDir, name), Buffer.from(await response.arrayBuffer()));
  return response.headers.get("content-type");
}
const types = {
  wav: await save("served.wav", { input: text, response_format: "wav" }),
  flac: await save("served.flac", { input: text, response_format: "flac" }),
  pcm: await save("served.pcm", { input: text, response_format: "pcm" }),
  fast: await save("fast.wav", { input: text, response_format: "wav", speed: 2 }),
};

const started = performance.now();
const stream = await client.audio.speech.create({ model, voice: "alloy", input: longText, response_format: "wav" });
let pieces = 0, bytes = 0, firstMs = null;
for await (const chunk of stream.body) {
  if (firstMs === null) firstMs = performance.now() - started;
  pieces += 1;
  bytes += chunk.length;
}
const totalMs = performance.now() - started;

async function failure(request) {
  try {
    await client.audio.speech.create({ model, voice: "alloy", ...request });
    return null;
  } catch (e) {
    return { status: e.status ?? null, param: e.param ?? null, message: e.message };
  }
}
const empty = await failure({ input: "" });
const mp3 = await failure({ input: text, response_format: "mp3" });

console.log(JSON.stringify({ model, types, stream: { pieces, bytes, firstMs, totalMs }, empty, mp3 }));
