// The official OpenAI client (npm `openai`) as a listener: `reef serve` of a speech recognizer
// transcribes each input. An input is an audio file's path, or "say:" and a text, which `reef
// serve` of a speech synthesizer at SPEECH_URL first speaks as WAV, so that one model judges the
// other over HTTP. Prints [{input, text}] as JSON.
// Usage: node openai_listen.mjs NODE_MODULES ASR_URL API_KEY SPEECH_URL|- INPUT...
import fs from "node:fs";
import { connect } from "./reef_openai.mjs";

const [modules, asrURL, apiKey, speechURL, ...inputs] = process.argv.slice(2);
const asr = await connect(modules, asrURL, apiKey);
const tts = speechURL === "-" ? null : await connect(modules, speechURL, apiKey);

async function audioOf(input) {
  if (!input.startsWith("say:")) return fs.createReadStream(input);
  const speech = await tts.client.audio.speech.create({
    model: tts.model, voice: "alloy", input: input.slice(4), response_format: "wav",
  });
  return asr.toFile(Buffer.from(await speech.arrayBuffer()), "speech.wav");
}

const heard = [];
for (const input of inputs) {
  const result = await asr.client.audio.transcriptions.create({ model: asr.model, file: await audioOf(input) });
  heard.push({ input, text: result.text });
}
console.log(JSON.stringify(heard));
