// What the OpenAI-client consumers share: the official `openai` package loaded from the prepared
// node_modules (data/consumers, scripts/prepare-data.sh), a client for a `reef serve`, and the id
// of the one model it serves.
import { createRequire } from "node:module";
import path from "node:path";

export async function connect(modules, baseURL, apiKey) {
  const require = createRequire(path.join(modules, "noop.js"));
  const openai = await import(require.resolve("openai"));
  const client = new openai.default({ baseURL, apiKey, maxRetries: 0, timeout: 60000 });
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  return { client, model: models[0], models, OpenAI: openai.default, toFile: openai.toFile };
}
