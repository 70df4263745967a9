import { isAbsolute, relative, resolve } from 'node:path';
import type { ConfigIssue } from '../core/errors.js';
import type { Config } from './schema.js';

const DOCKER_SOCKET = /(^|\/)docker\.sock$/;

/** Whether `file` (resolved) lies inside `dir`. */
function inside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A host path or named volume mounted without `ro` (an anonymous volume is each container's own). */
function readWrite(volume: string): boolean {
  const [, container, options = ''] = volume.split(':');
  return container !== undefined && !options.split(',').includes('ro');
}

/**
 * Things a valid config allows but that deserve a second look: files read from outside the
 * config's folder, the Docker socket mounted into an app (that container then controls the
 * host), a volume written by two containers at once during a blue-green deploy, a project whose
 * reports follow whatever repository a CI request names. Warnings, not
 * errors: check-config prints them and exits 0, the app logs them at start.
 */
export function configWarnings(config: Config, dir: string): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  for (const [name, project] of Object.entries(config.projects)) {
    const at = (key: string) => `projects.${name}.${key}`;
    if (project.env_file !== undefined) {
      const file = resolve(dir, project.env_file);
      if (!inside(dir, file)) {
        warnings.push({
          path: at('env_file'),
          message: `env_file ${file} is outside the config's folder ${dir}: keep the files the app reads next to its config`,
        });
      }
    }
    project.volumes.forEach((volume, index) => {
      const [host = '', container = ''] = volume.split(':');
      const isPath = host.startsWith('/') || host.startsWith('.') || host.includes('/');
      if (DOCKER_SOCKET.test(host) || DOCKER_SOCKET.test(container) || host === config.global.docker.socket) {
        warnings.push({
          path: at(`volumes.${index}`),
          message: `volume "${volume}" mounts the Docker socket: that container can control every container on the host`,
        });
      } else if (isPath && volume.includes(':') && !inside(dir, resolve(dir, host))) {
        warnings.push({
          path: at(`volumes.${index}`),
          message: `volume "${volume}" mounts ${resolve(dir, host)}, outside the config's folder ${dir}: check that the app should see it`,
        });
      }
      const blueGreen = Object.entries(project.stages)
        .filter(([, stage]) => stage.strategy === 'blue-green')
        .map(([stage]) => stage);
      if (!DOCKER_SOCKET.test(host) && readWrite(volume) && blueGreen.length > 0) {
        warnings.push({
          path: at(`volumes.${index}`),
          message:
            `volume "${volume}" is mounted read-write and stage(s) ${blueGreen.join(', ')} deploy blue-green: ` +
            'during a deploy the old and the new container run at once and both can write it; set strategy: recreate ' +
            'on those stages if the app must be its only writer (SQLite, file locks), or mount it :ro',
        });
      }
    });
    if (project.repository === undefined && Object.keys(config.forges).length > 0) {
      warnings.push({
        path: at('repository'),
        message:
          'no repository: statuses and the PR comment go to the repository each CI request names (when it is a plain owner/name); set repository to pin where reports go',
      });
    }
  }
  return warnings;
}
