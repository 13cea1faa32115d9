import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between the gateway and a Postgres server, to make that server look hung or stopped
 * to one gateway without touching the server itself (other tests use it at the same time).
 */
export interface PostgresTcpProxy {
  /** The database URL through the proxy (the target URL with the proxy's host and port). */
  readonly url: string;
  /**
   * A hung server: nothing is forwarded either way, sockets stay open and new connections are
   * accepted (the kernel's backlog does that for a real one). What was sent waits, as in a hung
   * server's socket buffers, and arrives at {@link thaw}.
   */
  freeze(): void;
  /** Forwards again, everything held first. */
  thaw(): void;
  /** A stopped server: every connection is reset and new ones are refused. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port, after {@link cut}. */
  restore(): Promise<void>;
  /** Connections opened through the proxy so far. */
  readonly connections: number;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  server: Socket;
  /** An end or close seen while frozen, passed on at thaw (after what was held). */
  ended: Set<Socket>;
}

/** Starts a proxy on 127.0.0.1 in front of the server in `targetUrl`. */
export async function startPostgresTcpProxy(targetUrl: string): Promise<PostgresTcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 5432);
  const links = new Set<Link>();
  let frozen = false;
  let opened = 0;

  const pass = (link: Link, from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!frozen) from.resume();
    });
    const finish = () => {
      if (frozen) link.ended.add(from);
      else to.end();
    };
    from.on('end', finish);
    from.on('close', finish);
    from.on('error', () => {});
  };

  const onConnection = (client: Socket) => {
    opened += 1;
    const server = connect({ host: target.hostname, port: targetPort });
    const link: Link = { client, server, ended: new Set() };
    links.add(link);
    client.on('close', () => server.readyState === 'closed' && links.delete(link));
    server.on('close', () => client.readyState === 'closed' && links.delete(link));
    pass(link, client, server);
    pass(link, server, client);
    if (frozen) {
      client.pause();
      server.pause();
    }
  };

  let listener: Server = createServer(onConnection);
  await listen(listener, 0);
  const port = (listener.address() as { port: number }).port;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  return {
    url: url.toString(),
    get connections() {
      return opened;
    },
    freeze() {
      frozen = true;
      for (const { client, server } of links) {
        client.pause();
        server.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const link of links) {
        link.client.resume();
        link.server.resume();
        for (const ended of link.ended) (ended === link.client ? link.server : link.client).end();
        link.ended.clear();
      }
    },
    async cut() {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const { client, server } of links) {
        client.resetAndDestroy();
        server.destroy();
      }
      links.clear();
      await closed;
    },
    async restore() {
      if (listener.listening) return;
      listener = createServer(onConnection);
      await listen(listener, port);
    },
    async close() {
      frozen = false;
      for (const { client, server } of links) {
        client.destroy();
        server.destroy();
      }
      links.clear();
      if (listener.listening) await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
