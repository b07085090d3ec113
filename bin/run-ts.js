#!/usr/bin/env node
// Runs a TypeScript entry point (e.g. bench/run.ts) with tsx's loader: node bin/run-ts.js FILE [args…]
import { register } from 'tsx/esm/api';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bin/run-ts.js FILE.ts [args…]');
  process.exit(2);
}
register();
process.argv.splice(2, 1);
await import(pathToFileURL(path.resolve(file)).href);
