import net from 'node:net';

/**
 * Keeps an eval's connections on this machine and the gateway. promptfoo 0.121.20 posts a
 * "telemetry disabled" event to its server even with PROMPTFOO_DISABLE_TELEMETRY set (its
 * issue 9968; no setting stops it), and a future version could add other calls: while a guard
 * is held, every TCP connection of the process to a host other than loopback and the allowed
 * ones (the gateway's) is refused before any DNS lookup, and recorded.
 */

/** A held guard: what it refused, and how to let go of it. */
export interface EgressGuard {
  /** Refused connections, as `host:port`, in the order tried. */
  readonly blocked: string[];
  /** Lets go; the last guard let go restores `net.Socket.prototype.connect`. */
  release(): void;
}

interface HeldGuard {
  allowed: Set<string>;
  blocked: string[];
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;
const held = new Set<HeldGuard>();
let original: typeof net.Socket.prototype.connect | undefined;

/** The host and port a `Socket.connect(...)` call goes to; undefined for a local (IPC) socket. */
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

function allowedHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK.test(bare)) return true;
  for (const guard of held) if (guard.allowed.has(bare)) return true;
  return false;
}

function install(): void {
  const connect = net.Socket.prototype.connect;
  original = connect;
  const guarded = function (this: net.Socket, ...args: unknown[]): net.Socket {
    const target = targetOf(args);
    if (target === undefined || allowedHost(target.host)) return (connect as (...rest: unknown[]) => net.Socket).apply(this, args);
    const where = `${target.host}:${target.port}`;
    for (const guard of held) guard.blocked.push(where);
    const error = Object.assign(new Error(`gantry eval: refused a connection to ${where}: an eval reaches only the gateway and this machine`), { code: 'ECONNREFUSED' });
    process.nextTick(() => this.destroy(error));
    return this;
  };
  net.Socket.prototype.connect = guarded as typeof connect;
}

/**
 * Holds a guard allowing loopback and `allowedHosts` (host names or addresses, e.g. the
 * gateway's), until released. Guards held at once allow what any of them allows.
 */
export function guardEgress(allowedHosts: readonly string[]): EgressGuard {
  if (held.size === 0) install();
  const guard: HeldGuard = { allowed: new Set(allowedHosts.map((host) => host.replace(/^\[|\]$/g, '').toLowerCase())), blocked: [] };
  held.add(guard);
  let released = false;
  return {
    blocked: guard.blocked,
    release() {
      if (released) return;
      released = true;
      held.delete(guard);
      if (held.size === 0 && original !== undefined) {
        net.Socket.prototype.connect = original;
        original = undefined;
      }
    },
  };
}

/** The host of a gateway URL, for {@link guardEgress}. */
export function hostOf(url: string): string {
  return new URL(url).hostname;
}
