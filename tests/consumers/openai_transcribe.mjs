// The official OpenAI client (npm `openai`) against `reef serve` of a speech recognizer: the same
// audio file transcribed as verbose_json with word times, json and text; then an upload that is not
// audio and a language the model does not speak, which must fail with 400 naming the field.
// Usage: node openai_transcribe.mjs NODE_MODULES BASE_URL API_KEY AUDIO_FILE
import fs from "node:fs";
import { connect } from "./reef_openai.mjs";

const [modules, baseURL, apiKey, audio] = process.argv.slice(2);
const { client, model, toFile } = await connect(modules, baseURL, apiKey);

const verbose = await client.audio.transcriptions.create({
  model, file: fs.createReadStream(audio), response_format: "verbose_json", timestamp_granularities: ["word"],
});
const json = await client.audio.transcriptions.create({ model, file: fs.createReadStream(audio), language: "en" });
const text = await client.audio.transcriptions.create({ model, file: fs.createReadStream(audio), response_format: "text" });

async function failure(request) {
  try {
    await client.audio.transcriptions.create(request);
    return null;
  } catch (e) {
    return { status: e.status ?? null, param: e.param ?? null, message: e.message };
  }
}
const notAudio = await failure({ model, file: await toFile(Buffer.from("this is not audio"), "speech.wav") });
const french = await failure({ model, file: fs.createReadStream(audio), language: "fr" });

console.log(JSON.stringify({ model, verbose, json, text, notAudio, french }));
