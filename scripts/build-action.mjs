// Bundles the action into action/dist/index.js, the file the runner executes (runs.using: node24).
// Not minified, so the committed bundle gives readable diffs; CI rebuilds it, diffs, and checks its
// size stays within MAX_BUNDLE_BYTES. Two things keep it small:
// - our imports of `undici` are replaced by action/undici-over-fetch.ts (the runner's built-in fetch): the
//   protocol client's requests, without bundling all of undici (about 1.3 MB);
// - @actions/core's OIDC client (@actions/http-client, with its own copy of undici, about
//   770 KB) is marked free of side effects, so esbuild drops it: the action never asks for a token.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outfile = 'action/dist/index.js';
/** The bound CI holds the bundle to (issue 21). */
export const MAX_BUNDLE_BYTES = 1024 * 1024;

/** Modules the action imports but never runs: esbuild may drop them when nothing they export is used. */
const unusedPackages = /^(@actions\/http-client)(\/|$)|oidc-utils\.js$/;

await build({
  absWorkingDir: root,
  entryPoints: ['action/index.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // The bundle's path comments name node_modules/... as in a fresh clone, also where node_modules
  // is a symlink (a git worktree sharing the main checkout's), so the committed file compares equal.
  preserveSymlinks: true,
  plugins: [
    {
      name: 'drop-unused',
      setup(pluginBuild) {
        // Our own imports of undici only; @actions/http-client's own copy is dropped below.
        pluginBuild.onResolve({ filter: /^undici$/ }, (args) =>
          args.importer.includes('/node_modules/')
            ? undefined
            : { path: resolve(root, 'action/undici-over-fetch.ts') },
        );
        pluginBuild.onResolve({ filter: unusedPackages }, async (args) => {
          if (args.pluginData?.dropUnused) return undefined;
          const resolved = await pluginBuild.resolve(args.path, {
            kind: args.kind,
            resolveDir: args.resolveDir,
            importer: args.importer,
            pluginData: { dropUnused: true },
          });
          return { ...resolved, sideEffects: false };
        });
      },
    },
  ],
  // Bundled CommonJS dependencies call require() for Node built-ins; ESM output has none.
  banner: {
    js: "import { createRequire as __dwCreateRequire } from 'node:module';\nconst require = __dwCreateRequire(import.meta.url);",
  },
});

const bytes = statSync(resolve(root, outfile)).size;
if (bytes > MAX_BUNDLE_BYTES) {
  console.error(
    `${outfile} is ${(bytes / 1024).toFixed(0)} KB, over the ${MAX_BUNDLE_BYTES / 1024} KB bound: ` +
      'find what grew with esbuild --metafile and keep it out of the action',
  );
  process.exit(1);
}
