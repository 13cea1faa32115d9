import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import fastifyPlugin from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { InvalidRequestError, RateLimitedError, type GatewayError } from '@gantry/spec';
import type { ClientConnectionLimits } from './config/load-config.ts';
import { openaiWire } from './proxy/client-wire.ts';

/**
 * Milliseconds a connection over its address's cap may stay open waiting to send the request
 * that will be answered 429. Clients send their request right after connecting; one that does not
 * is holding a socket, which the cap exists to prevent.
 */
const OVER_CAP_GRACE_MS = 2_000;

/** The response a socket is carrying, if any (Node's own bookkeeping, which its default clientError handling reads too). */
type HttpSocket = Socket & { _httpMessage?: { headersSent: boolean } | null };

/** One address however the socket reports it: an IPv4 client on a dual-stack listener comes as `::ffff:a.b.c.d`. */
function clientAddress(socket: Socket): string | undefined {
  const address = socket.remoteAddress;
  return address?.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/**
 * Caps the connections one client address may hold open at `maxPerAddress` (0: no cap), so that one
 * client cannot take every socket the server has. A connection over the cap is answered 429 (with
 * `retry-after`, in OpenAI's error shape) as soon as its request arrives, then closed; if no request
 * arrives within a short grace, it is closed without one. Behind a reverse proxy every client shares
 * the proxy's address: raise the cap or set it to 0 there.
 */
const connectionCapPlugin: FastifyPluginAsync<{ maxPerAddress: number }> = async (app, options) => {
  if (options.maxPerAddress <= 0) return;
  const { maxPerAddress } = options;
  const openByAddress = new Map<string, number>();
  const overCap = new WeakMap<Socket, string>();
  const server: Server = app.server;
  server.on('connection', (socket: Socket) => {
    const address = clientAddress(socket);
    if (address === undefined) return; // already closed
    const open = openByAddress.get(address) ?? 0;
    if (open >= maxPerAddress) {
      // Not counted: refused connections must not keep the address over its cap for longer.
      overCap.set(socket, address);
      const grace = setTimeout(() => socket.destroy(), OVER_CAP_GRACE_MS);
      grace.unref();
      socket.once('close', () => clearTimeout(grace));
      return;
    }
    openByAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (openByAddress.get(address) ?? 1) - 1;
      if (left > 0) openByAddress.set(address, left);
      else openByAddress.delete(address);
    });
  });
  app.addHook('onRequest', async (request) => {
    const address = overCap.get(request.raw.socket);
    if (address === undefined) return;
    throw new RateLimitedError(
      `too many open connections from ${address}: at most ${maxPerAddress} per client address (server.max_connections_per_address); ` +
        'reuse keep-alive connections instead of opening new ones, or raise the cap (0 removes it, e.g. behind a proxy all clients share)',
      { headers: { 'retry-after': '1', connection: 'close' } },
    );
  });
};

export const connectionCap = fastifyPlugin(connectionCapPlugin, { name: 'gantry-connection-cap', fastify: '5.x' });

/**
 * Answers what Node's HTTP parser rejects before any route sees a request — a request not received
 * within the header or body timeout, headers too large, malformed HTTP — in OpenAI's error shape
 * (the route, and so its wire, is not known yet), then closes the connection. Fastify's
 * `clientErrorHandler`; its default answers `{"error":"Request Timeout","message":"Client Timeout"}`.
 */
export function createClientErrorHandler(limits: ClientConnectionLimits): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket: HttpSocket) => {
    // A reset connection has no one left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // A response already under way on this socket (its headers sent) cannot be followed by another.
    const responding = socket._httpMessage?.headersSent === true;
    if (socket.writable && !responding) {
      const gatewayError = describeClientError(error.code, limits);
      const body = JSON.stringify(openaiWire.encodeError(gatewayError));
      socket.write(
        `HTTP/1.1 ${gatewayError.status} ${STATUS_CODES[gatewayError.status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

function describeClientError(code: string | undefined, limits: ClientConnectionLimits): GatewayError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new InvalidRequestError(
        `request not received in time: its headers must arrive within ${limits.headerTimeoutMs || 'unlimited'} ms and the whole request within ` +
          `${limits.bodyTimeoutMs || 'unlimited'} ms of its first byte (server.header_timeout_ms, server.body_timeout_ms); send it at once, or raise those limits`,
        { status: 408 },
      );
    case 'HPE_HEADER_OVERFLOW':
      return new InvalidRequestError("request headers are larger than the server accepts (16 KiB unless Node's --max-http-header-size says otherwise); send fewer or shorter headers", { status: 431 });
    default:
      return new InvalidRequestError(`malformed HTTP request (${code ?? 'parse error'}); send a valid HTTP/1.1 request`);
  }
}
