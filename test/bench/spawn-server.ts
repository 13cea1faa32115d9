import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface Server {
  child: ChildProcess;
  /** Resident set size now, in MiB (Linux VmRSS; NaN once the process is gone). */
  rssMiB(): number;
  /** Peak resident set size so far, in MiB (Linux VmHWM). */
  peakRssMiB(): number;
  /** CPU time used so far, in ms (Linux /proc; NaN elsewhere). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** CPU time all processes on the machine used so far, in ms (Linux /proc/stat: all but idle and iowait, in 10 ms ticks). */
export function machineBusyMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) * 10;
}

/** prom-client's monitorEventLoopDelay resolution: every sample is this interval plus the delay. */
export const ELD_RESOLUTION_MS = 10;

/** The event-loop delay figures of one scrape of a gateway's /metrics (prom-client resets its histogram on every scrape). */
export async function scrapeLoopDelay(port: number): Promise<{ p50: number; p99: number; max: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name: string) => {
    const match = new RegExp(`^nodejs_eventloop_lag_${name}_seconds ([0-9.e+-]+|NaN)$`, 'm').exec(text);
    return match ? Number(match[1]) * 1000 - ELD_RESOLUTION_MS : Number.NaN;
  };
  return { p50: read('p50'), p99: read('p99'), max: read('max') };
}

/**
 * Waits until the servers are quiet (under 5% of a core for 200 ms), at most `maxMs`: a cell must
 * not pay for work a previous cell left behind (spans still being written, a GC).
 */
export async function quiet(servers: readonly Server[], maxMs = 5000): Promise<void> {
  const until = performance.now() + maxMs;
  while (performance.now() < until) {
    const before = servers.reduce((sum, server) => sum + server.cpuMs(), 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const used = servers.reduce((sum, server) => sum + server.cpuMs(), 0) - before;
    if (!(used >= 10)) return; // NaN (no /proc) counts as quiet
  }
}

/**
 * A new folder under the system's temp folder for a server's config and data, removed when this
 * process exits: a bench's embedded database grows to gigabytes, and runs left them behind.
 */
export function workDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts an entry point in its own process (TypeScript through tsx; `nodeArgs`: flags for node and V8) and waits until `ready` answers. */
export async function spawnServer(entry: string, options: { cwd: string; env: Record<string, string>; nodeArgs?: readonly string[]; ready: () => Promise<boolean> }): Promise<Server> {
  // Something already answering would pass the readiness check for a child that failed to listen.
  if (await options.ready().catch(() => false)) throw new Error(`${entry}: its port is already in use; stop whatever listens there and run again`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(entry.endsWith('.ts') ? ['--import', tsxLoader] : []), entry], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    if (await options.ready().catch(() => false)) break;
    if (Date.now() > deadline) throw new Error(`${entry} did not become ready in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    cpuMs() {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        // utime and stime, in clock ticks of 10 ms.
        return (Number(fields[11]) + Number(fields[12])) * 10;
      } catch {
        return Number.NaN;
      }
    },
    rssMiB: () => statusMiB(child.pid, 'VmRSS'),
    peakRssMiB: () => statusMiB(child.pid, 'VmHWM'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A size field of `/proc/<pid>/status`, in MiB; NaN once the process is gone (or off Linux). */
function statusMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return Number.NaN;
  }
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export async function answers(url: string, init?: RequestInit): Promise<boolean> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status < 500;
}
