import { fileURLToPath } from 'node:url';

/** One file of the built console, held in memory and served as is. */
export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
}

/** The built console: the page, and its assets by their path under `/console/assets/`. */
export interface ConsoleBundle {
  html: string;
  assets: Map<string, ConsoleAsset>;
}

/** Where the console's TypeScript sources are: `apps/gateway/console/src`. */
export const consoleSourceDir = fileURLToPath(new URL('../../console/src/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Bundles the console (Preact components in TypeScript) with esbuild, in memory: the sources are
 * the only input and nothing is written, so `pnpm start` serves the console with no build step and
 * a checkout can never serve a stale bundle. Takes about a quarter of a second, once per process.
 */
export async function buildConsole(): Promise<ConsoleBundle> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { app: `${consoleSourceDir}main.tsx` },
    bundle: true,
    write: false,
    outdir: '/console-assets',
    // Names carry the content's hash: a page always loads the bundle it was served with, and assets are cached for good.
    entryNames: '[name]-[hash]',
    format: 'esm',
    target: ['chrome120', 'firefox120'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'silent',
    // Browser code: a Node built-in reached by mistake is an error here, not a runtime surprise.
    platform: 'browser',
  });
  const assets = new Map<string, ConsoleAsset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice('/console-assets/'.length);
    const extension = name.slice(name.lastIndexOf('.'));
    const body = Buffer.from(file.contents);
    assets.set(name, { body, contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream' });
  }
  const script = [...assets.keys()].find((name) => name.endsWith('.js'));
  const style = [...assets.keys()].find((name) => name.endsWith('.css'));
  if (script === undefined || style === undefined) throw new Error('the console bundle lacks its script or its style sheet');
  return { html: consolePage(script, style), assets };
}

/** The one page of the console: the app renders into it. No inline script or style (the CSP forbids both). */
function consolePage(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Gantry console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/${style}">
<script type="module" src="/console/assets/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Gantry console needs JavaScript. The same data is served as JSON under /v1/runs.</noscript>
</body>
</html>
`;
}
