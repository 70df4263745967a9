#!/usr/bin/env node
// Thin launcher: the CLI itself is compiled TypeScript, bundled into dist/bundle/ (built by
// `npm run build`; `npm ci` runs it via prepare).
import '../dist/bundle/main.js';
