import net from 'node:net';

/** Connection attempts to addresses off this machine, as `host:port`, and how to lift the guard. */
export interface NetworkGuard {
  blocked: string[];
  restore(): void;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;

/** Where a `Socket.connect(...)` call goes: `(options, cb)`, `(port, host, cb)` or `(path, cb)`. */
function targetOf(args: unknown[]): { host: string; port: string } | undefined {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof options.path === 'string') return undefined;
    return { host: typeof options.host === 'string' ? options.host : 'localhost', port: String(options.port) };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof second === 'string' ? second : 'localhost', port: String(first) };
  }
  return undefined;
}

/**
 * Makes every TCP connection of this process to an address other than loopback fail, and
 * records it (by host name, before any DNS lookup): fetch, http, https and tls all connect
 * through `net.Socket.prototype.connect`.
 */
export function blockNonLoopback(): NetworkGuard {
  const original = net.Socket.prototype.connect;
  const blocked: string[] = [];
  const guarded = function (this: net.Socket, ...args: unknown[]): net.Socket {
    const target = targetOf(args);
    if (target !== undefined && !LOOPBACK.test(target.host.replace(/^\[|\]$/g, ''))) {
      blocked.push(`${target.host}:${target.port}`);
      const error = Object.assign(new Error(`network guard: blocked a connection to ${target.host}:${target.port}`), { code: 'ECONNREFUSED' });
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return (original as (...rest: unknown[]) => net.Socket).apply(this, args);
  };
  net.Socket.prototype.connect = guarded as typeof original;
  return {
    blocked,
    restore: () => {
      net.Socket.prototype.connect = original;
    },
  };
}
