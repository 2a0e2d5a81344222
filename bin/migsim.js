#!/usr/bin/env node
// The CLI is the TypeScript build's output: a fresh clone has none until `npm run build`
// (`npm start` and `npm test` build first). Say so in one line, not with a stack trace.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`migsim: not built: run \`npm run build\` in ${fileURLToPath(new URL('..', import.meta.url))} first (npm start and npm test build too)\n`);
  process.exit(2);
}
await import(main.href);
