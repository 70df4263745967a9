import { createRequire, Module } from 'node:module';
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

/** dockerode's class, loaded after its heavy parts were deferred. */
export const Dockerode = require('dockerode') as typeof DockerodeClass;
