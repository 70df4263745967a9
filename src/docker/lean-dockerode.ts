import { createRequire, Module, registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';
import type DockerodeClass from 'dockerode';

const require = createRequire(import.meta.url);
const dockerodeMain = require.resolve('dockerode');
const fromDockerode = createRequire(dockerodeMain);

/**
 * Parts of dockerode that load heavy packages when dockerode is imported but that docker-watcher
 * never calls on a unix socket: BuildKit sessions (`@grpc/grpc-js`, `protobufjs`: about 24 MB and
 * 100 ms), ssh:// engines (`ssh2`: about 14 MB) and build contexts (`tar-fs`). Each is replaced
 * by a stand-in that loads the real module on its first use, so nothing is lost, only deferred.
 */
export const DEFERRED_DOCKERODE_PARTS = [
  fromDockerode.resolve('./session.js'),
  fromDockerode.resolve('docker-modem/lib/ssh.js'),
  fromDockerode.resolve('tar-fs'),
];

/** Puts a stand-in for a CommonJS module in the require cache; the stand-in loads the real one when used. */
export function deferCommonJsModule(path: string): void {
  if (require.cache[path]) return;
  let real: unknown;
  const load = (): Record<PropertyKey, unknown> & ((...args: unknown[]) => unknown) => {
    if (real === undefined) {
      delete require.cache[path];
      real = require(path);
    }
    return real as Record<PropertyKey, unknown> & ((...args: unknown[]) => unknown);
  };
  // An arrow function as target: callable (session and ssh export a function), no prototype to
  // pin, and property reads (tar-fs exports { pack, extract }) go to the real module.
  const standIn = new Proxy(() => undefined, {
    apply: (_target, self, args: unknown[]) => Reflect.apply(load(), self, args),
    get: (_target, key) => load()[key],
  });
  const entry = new Module(path);
  entry.filename = path;
  entry.loaded = true;
  entry.exports = standIn;
  require.cache[path] = entry;
}

for (const path of DEFERRED_DOCKERODE_PARTS) deferCommonJsModule(path);

/**
 * docker-modem's HTTP layer requires Node's `https` when it loads, and with it `tls` and
 * OpenSSL's TLS state: about 2.6 MB of idle RSS (`npm run bench -- idle`) for tcp+TLS engines,
 * which a unix socket never uses. While dockerode loads, that one `require('https')` gets
 * LAZY_HTTPS_SOURCE instead, through a module resolution hook removed right after.
 */
export const MODEM_HTTP_URL = pathToFileURL(
  createRequire(fromDockerode.resolve('docker-modem')).resolve('./http.js'),
).href;
const LAZY_HTTPS_URL = 'docker-watcher:lazy-https';
/**
 * A stand-in for `https`: a property read (docker-modem calls `https.request` through its
 * prototype) loads the real module. Nothing is read while docker-modem loads.
 */
const LAZY_HTTPS_SOURCE =
  "let https; module.exports = new Proxy({}, { get: (_, key) => (https ??= process.getBuiltinModule('node:https'))[key] });";

function requireDockerode(): typeof DockerodeClass {
  const hooks = registerHooks({
    resolve: (specifier, context, nextResolve) =>
      specifier === 'https' && context.parentURL === MODEM_HTTP_URL
        ? { url: LAZY_HTTPS_URL, format: 'commonjs', shortCircuit: true }
        : nextResolve(specifier, context),
    load: (url, context, nextLoad) =>
      url === LAZY_HTTPS_URL
        ? { format: 'commonjs', source: LAZY_HTTPS_SOURCE, shortCircuit: true }
        : nextLoad(url, context),
  });
  try {
    return require('dockerode') as typeof DockerodeClass;
  } finally {
    hooks.deregister();
  }
}

/** dockerode's class, loaded after its heavy parts were deferred. */
export const Dockerode = requireDockerode();
