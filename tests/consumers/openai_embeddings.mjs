// The official OpenAI client (npm `openai`) against `reef serve` of a CLIP-style model: label
// prompts embedded as the client asks by default (base64) and as floats, images embedded through
// Reef's `image` field, then an empty request and an image that does not decode, which must fail
// with 400 naming the parameter. Prints the vectors as JSON.
// Usage: node openai_embeddings.mjs NODE_MODULES BASE_URL API_KEY PROMPTS_JSON IMAGES_JSON_FILE
import fs from "node:fs";
import { connect } from "./reef_openai.mjs";

const [modules, baseURL, apiKey, promptsJson, imagesFile] = process.argv.slice(2);
const { client, model } = await connect(modules, baseURL, apiKey);
const prompts = JSON.parse(promptsJson);
const images = JSON.parse(fs.readFileSync(imagesFile, "utf8"));

const vectors = (response) => response.data.map((d) => Array.from(d.embedding));
const texts = await client.embeddings.create({ model, input: prompts });
const floats = await client.embeddings.create({ model, input: prompts, encoding_format: "float" });
const pictures = await client.embeddings.create({ model, image: images, encoding_format: "float" });

async function failure(request) {
  try {
    await client.embeddings.create({ model, ...request });
    return null;
  } catch (e) {
    return { status: e.status ?? null, param: e.param ?? null, message: e.message };
  }
}
const empty = await failure({});
const notImage = await failure({ image: ["data:image/png;base64,bm90IGFuIGltYWdl"] });

console.log(JSON.stringify({
  model, usage: texts.usage, texts: vectors(texts), floats: vectors(floats), images: vectors(pictures), empty, notImage,
}));
