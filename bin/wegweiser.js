#!/usr/bin/env node
// The `wegweiser` command. Sources are TypeScript, run through tsx's loader (a runtime dependency), so a fresh
// `npm install` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../controller/cli.ts');
