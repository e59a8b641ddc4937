// Streams one chat answer from voiced with the official openai package and
// prints the text, then a JSON line with what the stream reported.
// usage: node stream.mjs BASE_URL API_KEY QUESTION
import OpenAI from "openai";

const [baseURL, apiKey, question] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });

const stream = await client.chat.completions.create({
  model: "default",
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: "user", content: question }],
});

let text = "";
let chunks = 0;
let finish = null;
let usage = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  text += choice.delta?.content ?? "";
  finish = choice.finish_reason ?? finish;
}
console.log(JSON.stringify({ text, chunks, finish, usage }));
