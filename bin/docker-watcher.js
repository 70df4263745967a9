#!/usr/bin/env node
// Thin launcher: the CLI itself is compiled TypeScript in dist/ (built by `npm run build`, `npm ci` runs it via prepare).
import '../dist/app/main.js';
