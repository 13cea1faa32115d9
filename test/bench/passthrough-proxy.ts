import { createServer } from 'node:http';
import { Pool } from 'undici';

/**
 * The floor for any Node gateway on this machine: a keep-alive pass-through that does no work —
 * no parsing, no auth, no recording — just pipes the request to the upstream and the bytes back.
 */
const upstream = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:4010';
const port = Number(process.env.PROXY_PORT ?? 4020);
// As many upstream connections as Gantry's provider pool by default; the slow-streams bench holds more streams open.
const pool = new Pool(upstream, { connections: Number(process.env.PROXY_UPSTREAM_CONNECTIONS ?? 256), keepAliveTimeout: 30_000 });

const server = createServer(async (request, response) => {
  try {
    const upstreamResponse = await pool.request({
      method: request.method as 'POST',
      path: request.url ?? '/',
      headers: { 'content-type': request.headers['content-type'] ?? 'application/json', authorization: request.headers.authorization ?? '' },
      body: request,
    });
    response.writeHead(upstreamResponse.statusCode, { 'content-type': String(upstreamResponse.headers['content-type'] ?? 'application/json') });
    for await (const chunk of upstreamResponse.body) response.write(chunk);
    response.end();
  } catch (error) {
    response.writeHead(502).end(String(error));
  }
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => console.log(`passthrough proxy listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
