import { describe, expect, it } from 'vitest';
import { offlineDockerfile } from '../../integration/image/app-image-build.js';
import { composeRunArgs } from '../../integration/image/compose-run-args.js';

describe('offlineDockerfile', () => {
  it('gives only the stages that run npm ci the local cache, leaving their commands as they are', () => {
    const dockerfile = [
      'ARG NODE_IMAGE=node:24-slim',
      'FROM ${NODE_IMAGE} AS build',
      'RUN npm ci --ignore-scripts',
      'FROM ${NODE_IMAGE}',
      'COPY --from=build /src/dist ./dist',
      '',
    ].join('\n');
    expect(offlineDockerfile(dockerfile).split('\n')).toEqual([
      'ARG NODE_IMAGE=node:24-slim',
      'FROM ${NODE_IMAGE} AS build',
      'COPY .npm-offline-cache /tmp/npm-cache',
      'ENV npm_config_cache=/tmp/npm-cache npm_config_offline=true npm_config_update_notifier=false',
      'RUN npm ci --ignore-scripts',
      'FROM ${NODE_IMAGE}',
      'COPY --from=build /src/dist ./dist',
      '',
    ]);
  });

  it('refuses a Dockerfile without npm ci', () => {
    expect(() => offlineDockerfile('FROM node:24-slim\nRUN npm install\n')).toThrow(/npm ci/);
  });
});

describe('composeRunArgs', () => {
  const compose = [
    'services:',
    '  app:',
    '    image: x',
    '    ports: ["8080:8080"]',
    '    environment: { A: b }',
    '    env_file: [./app.env]',
    '    group_add: ["${DOCKER_GID:-999}"]',
    '    volumes: [/var/run/docker.sock:/var/run/docker.sock, ./data:/config/data, ./c.yaml:/config/c.yaml:ro]',
    '',
  ].join('\n');
  const setting = { folder: '/f', image: 'img', network: 'net', variables: { DOCKER_GID: '112' } };

  it('translates the service into docker run arguments, relative paths against the folder', () => {
    expect(
      composeRunArgs(compose, 'app', { ...setting, hostPaths: { '/var/run/docker.sock': '/s.sock' } }),
    ).toEqual([
      'run',
      '-d',
      '--network',
      'net',
      '--env',
      'A=b',
      '--env-file',
      '/f/app.env',
      '--group-add',
      '112',
      '--volume',
      '/s.sock:/var/run/docker.sock',
      '--volume',
      '/f/data:/config/data',
      '--volume',
      '/f/c.yaml:/config/c.yaml:ro',
      '--publish',
      '127.0.0.1::8080',
      'img',
    ]);
  });

  it('names a compose key it cannot translate', () => {
    expect(() => composeRunArgs(compose + '    privileged: true\n', 'app', setting)).toThrow(/privileged/);
  });
});
