// The official OpenAI client (npm `openai`) against `reef serve`: lists the models, asks for a
// greedy completion, and streams a chat completion. Prints what it received as JSON.
// Usage: node openai_client.mjs NODE_MODULES BASE_URL API_KEY PROMPT MAX_TOKENS
import { connect } from "./reef_openai.mjs";

const [modules, baseURL, apiKey, prompt, maxTokens] = process.argv.slice(2);
const { client, model, models, OpenAI } = await connect(modules, baseURL, apiKey);

const completion = await client.completions.create({ model, prompt, max_tokens: Number(maxTokens), temperature: 0 });

const stream = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: prompt }],
  max_tokens: Number(maxTokens),
  temperature: 0,
  stream: true,
});
let chat = "";
let chunks = 0;
let finish = null;
let role = null;
for await (const chunk of stream) {
  chunks += 1;
  const choice = chunk.choices[0];
  if (choice.delta.role) role = choice.delta.role;
  if (choice.delta.content) chat += choice.delta.content;
  if (choice.finish_reason) finish = choice.finish_reason;
}

let unauthorised = null;
try {
  await new OpenAI({ baseURL, apiKey: "wrong-key", maxRetries: 0 }).models.list();
} catch (e) {
  unauthorised = { status: e.status, code: e.code ?? null };
}

console.log(JSON.stringify({
  models,
  completion: { text: completion.choices[0].text, finish: completion.choices[0].finish_reason, usage: completion.usage },
  chat: { text: chat, chunks, finish, role },
  unauthorised,
}));
