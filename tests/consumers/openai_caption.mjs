// The official OpenAI client (npm `openai`) against `reef serve` of a captioner, called as vision
// chat models are: a user message with a text part and an image_url part (a data: URL), once
// whole and once streamed; then a message without an image, a remote URL and an image that does
// not decode (also streamed), which must fail with 400 naming the parameter. Prints the answers
// as JSON.
// Usage: node openai_caption.mjs NODE_MODULES BASE_URL API_KEY IMAGE.png
import fs from "node:fs";
import { connect } from "./reef_openai.mjs";

const [modules, baseURL, apiKey, imagePath] = process.argv.slice(2);
const { client, model } = await connect(modules, baseURL, apiKey);
const image = "data:image/png;base64," + fs.readFileSync(imagePath).toString("base64");
const ask = (url) => [{
  role: "user",
  content: [{ type: "text", text: "What is in this picture?" }, { type: "image_url", image_url: { url } }],
}];

const whole = await client.chat.completions.create({ model, messages: ask(image) });
let streamed = "";
let chunks = 0;
const stream = await client.chat.completions.create({ model, messages: ask(image), stream: true });
for await (const chunk of stream) {
  streamed += chunk.choices[0]?.delta?.content ?? "";
  ++chunks;
}

async function failure(messages, stream = false) {
  try {
    const answer = await client.chat.completions.create({ model, messages, stream });
    if (stream) for await (const chunk of answer) void chunk;
    return null;
  } catch (e) {
    return { status: e.status ?? null, param: e.param ?? null, message: e.message };
  }
}
console.log(JSON.stringify({
  model,
  caption: whole.choices[0].message.content,
  finish: whole.choices[0].finish_reason,
  usage: whole.usage,
  streamed,
  chunks,
  noImage: await failure([{ role: "user", content: "What is in this picture?" }]),
  remote: await failure(ask("https://example.com/heart.png")),
  notImage: await failure(ask("data:image/png;base64,bm90IGFuIGltYWdl")),
  notImageStreamed: await failure(ask("data:image/png;base64,bm90IGFuIGltYWdl"), true),
}));
