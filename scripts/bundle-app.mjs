// The second half of `npm run build`: bundles the compiled app (dist/app/main.js, from tsc) into
// dist/bundle/, the files `npm start`, the `docker-watcher` command and the image run (issue 21).
// Measured with `npm run bench -- idle` against the unbundled dist/app/main.js: idle RSS about
// 11 MB lower and the start to the first /healthz 200 about 45% shorter, since node reads and
// compiles a few files instead of about 420, and esbuild drops what nothing imports (zod's 47
// locales among them: zod alone loads 95 files, 850 KB, unbundled).
// - `splitting`: every `await import()` of the app (dockerode's engine, forge clients, the NPM
//   adapter, the CLI commands) stays a chunk of its own, loaded only when used.
// - a package imported with `await import()` stays outside (see the plugin below); so does
//   dockerode: src/docker/lean-dockerode.ts defers its BuildKit, ssh and tar parts
//   through require's cache, which only works on the real CommonJS files.
// - Node's own modules are loaded by require, not by an ES import (see the second plugin).
// - whitespace and syntax are minified, names are not: a stack trace still names the function.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
export const BUNDLE_ENTRY = 'dist/bundle/main.js';

rmSync(resolve(root, 'dist/bundle'), { recursive: true, force: true });
const { metafile } = await build({
  metafile: true,
  absWorkingDir: root,
  entryPoints: { main: 'dist/app/main.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  preserveSymlinks: true,
  external: ['dockerode'],
  plugins: [
    {
      // A package the app imports with `await import('pkg')` stays outside the bundle and is
      // loaded by Node itself. esbuild would make it a chunk of its own that exports only
      // `default` for a CommonJS package (undici, http-proxy-3), so `const { request } = await
      // import('undici')` would find nothing; Node gives CommonJS packages their named exports.
      // What is loaded that way is loaded only when used, so leaving it out costs idle nothing.
      name: 'dynamic-packages-external',
      setup(pluginBuild) {
        pluginBuild.onResolve({ filter: /^[^./]/ }, (args) =>
          args.kind === 'dynamic-import' && !args.path.startsWith('node:')
            ? { path: args.path, external: true }
            : undefined,
        );
      },
    },
    {
      // `import { parseArgs } from 'node:util'` loads the whole of node:util: an ES import of a
      // builtin builds its namespace, which reads every lazy export (util's diff, colors and
      // worker_threads; v8's heap utilities; crypto's webcrypto), Node internals serve never
      // uses. Here each ES import of a builtin becomes a require(), and its named imports
      // property reads at the use site. esbuild's CommonJS interop copies a module's own
      // properties, reading each once (which would load them all again), so a builtin whose
      // exports are an object is given as an object that inherits them: nothing own to copy,
      // and a lazy export loads when the code first reads it (idle RSS 72 -> 70 MB with the
      // lazy readline of app/main.ts). node:module stays an ES import: the banner needs it.
      name: 'node-builtins-by-require',
      setup(pluginBuild) {
        pluginBuild.onResolve({ filter: /^node:/ }, (args) =>
          args.kind === 'import-statement' && args.path !== 'node:module'
            ? { path: args.path, namespace: 'node-builtin' }
            : undefined,
        );
        pluginBuild.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
          contents:
            typeof require(args.path) === 'object'
              ? `module.exports = Object.create(require(${JSON.stringify(args.path)}));`
              : `module.exports = require(${JSON.stringify(args.path)});`,
          loader: 'js',
        }));
      },
    },
  ],
  // CommonJS packages bundled into ESM (undici, debug) call require() for node's own modules.
  banner: {
    js: "import { createRequire as __dwRequire } from 'node:module'; const require = __dwRequire(import.meta.url);",
  },
});
// The plugin's guarantee, checked: no chunk of the bundle is a package's own entry (which would
// mean a dynamic import of a package was bundled, and its named exports lost).
const packageChunks = Object.entries(metafile.outputs)
  .filter(([, output]) => output.entryPoint?.includes('node_modules/'))
  .map(([file, output]) => `${file} (${output.entryPoint})`);
if (packageChunks.length > 0) {
  throw new Error(`bundle-app: packages bundled as chunks of their own: ${packageChunks.join(', ')}`);
}
