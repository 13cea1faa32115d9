// An agent's tool loop through Gantry, recorded as one run: `node examples/agent-loop.mjs`.
// Works as is against a first start with no provider configured (`pnpm start` and `pnpm mock`):
// model mock/agent calls the tool it is offered, then answers with what the tool returned.
// GANTRY_URL (default http://127.0.0.1:4000) and GANTRY_KEY (default: the master key in .gantry/).
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';

const url = process.env.GANTRY_URL ?? 'http://127.0.0.1:4000';
const apiKey = process.env.GANTRY_KEY ?? readFileSync('.gantry/master-key', 'utf8').trim();
const model = process.env.GANTRY_MODEL ?? 'mock/agent';
const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey });
const run = { 'x-gantry-run-id': `weather-${Date.now()}`, 'x-gantry-run-name': 'weather agent' };

const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
const messages = [{ role: 'user', content: 'Berlin' }];
for (let turn = 0; turn < 5; turn++) {
  const completion = await openai.chat.completions.create({ model, messages, tools }, { headers: run });
  const message = completion.choices[0].message;
  messages.push(message);
  if (!message.tool_calls?.length) break;
  for (const call of message.tool_calls) {
    const { city } = JSON.parse(call.function.arguments);
    messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify({ city, celsius: 21 }) });
  }
}
await fetch(`${url}/v1/runs/${run['x-gantry-run-id']}/end`, {
  method: 'POST',
  headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
  body: JSON.stringify({ status: 'succeeded' }),
});
console.log(messages.at(-1).content);
console.log(`\nSee the run: pnpm gantry runs show ${run['x-gantry-run-id']}`);
