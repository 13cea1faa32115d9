import type { Logger } from 'inngest';

/** Where the SDK's messages go: pino's `(object, message)` calls are what the SDK makes. */
export interface LogSink {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

/**
 * The SDK's logger, handed to the client before the app that serves it exists: warnings and errors
 * go to the console until `sink` is set (to the fastify app's logger, by `serve`), then everything
 * goes there, at the app's log level.
 */
export class SdkLogger implements Logger {
  sink: LogSink | undefined;

  info(...args: unknown[]): void {
    this.sink?.info(...args);
  }

  warn(...args: unknown[]): void {
    if (this.sink === undefined) console.warn(...args);
    else this.sink.warn(...args);
  }

  error(...args: unknown[]): void {
    if (this.sink === undefined) console.error(...args);
    else this.sink.error(...args);
  }

  debug(...args: unknown[]): void {
    this.sink?.debug(...args);
  }
}
