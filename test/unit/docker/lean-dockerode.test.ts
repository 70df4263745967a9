import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { DEFERRED_DOCKERODE_PARTS, Dockerode, MODEM_HTTP_URL } from '../../../src/docker/lean-dockerode.js';

const require = createRequire(import.meta.url);
const fromDockerode = createRequire(require.resolve('dockerode'));

describe('dockerode with its BuildKit, ssh and build-context parts deferred', () => {
  it('loads dockerode without @grpc/grpc-js, protobufjs or ssh2', () => {
    expect(typeof Dockerode).toBe('function');
    expect(require.cache[fromDockerode.resolve('@grpc/grpc-js')]).toBeUndefined();
    expect(require.cache[fromDockerode.resolve('protobufjs')]).toBeUndefined();
    expect(
      require.cache[createRequire(fromDockerode.resolve('docker-modem')).resolve('ssh2')],
    ).toBeUndefined();
  });

  it('loads a deferred part on its first use, and the real module answers', () => {
    const tarFsPath = DEFERRED_DOCKERODE_PARTS[2]!;
    const tarStreamPath = createRequire(tarFsPath).resolve('tar-stream');
    expect(require.cache[tarStreamPath]).toBeUndefined();
    const tarFs = require(tarFsPath) as { pack: unknown; extract: unknown };
    expect(typeof tarFs.pack).toBe('function');
    expect(typeof tarFs.extract).toBe('function');
    expect(require.cache[tarStreamPath]).toBeDefined();
  });

  it('calls through to a deferred function export (the BuildKit session)', () => {
    const withSession = require(DEFERRED_DOCKERODE_PARTS[0]!) as (...args: unknown[]) => unknown;
    // The real withSession takes (docker, auth, handler) and calls docker.modem.dial.
    const dialed: unknown[] = [];
    withSession({ modem: { dial: (options: unknown) => dialed.push(options) } }, {}, () => {});
    expect(dialed).toHaveLength(1);
    expect(require.cache[fromDockerode.resolve('@grpc/grpc-js')]).toBeDefined();
  });

  it("gives docker-modem a stand-in for https that loads Node's https on first use", () => {
    const https = process.getBuiltinModule('node:https');
    const modemHttp = require(fileURLToPath(MODEM_HTTP_URL)) as Record<'http' | 'https', object>;
    const standIn = Object.getPrototypeOf(modemHttp.https) as typeof https;
    expect(standIn).not.toBe(https);
    // docker-modem calls the prototype's request: the stand-in answers with the real one.
    expect(standIn.request).toBe(https.request);
    expect(standIn.Agent).toBe(https.Agent);
    // Its plain-http side is Node's own http, untouched.
    expect(Object.getPrototypeOf(modemHttp.http)).toBe(process.getBuiltinModule('node:http'));
  });
});
