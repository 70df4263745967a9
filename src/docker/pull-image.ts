import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ExternalError } from '../core/errors.js';
import { dockerDetail, dockerStatus } from './docker-errors.js';
import type { RegistryCredentials } from './engine.js';

interface ProgressEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Pulls `ref` and waits for the progress stream to END: the engine answers 200 at once and
 * reports registry failures (missing tag, denied) as an `error` event inside the stream.
 */
export async function pullImage(
  docker: Docker,
  ref: string,
  options: { credentials?: RegistryCredentials; signal?: AbortSignal } = {},
): Promise<void> {
  const { credentials, signal } = options;
  const authconfig =
    credentials === undefined
      ? undefined
      : {
          username: credentials.username,
          password: credentials.password,
          serveraddress: credentials.serverAddress,
        };
  try {
    const stream = (await docker.pull(withTag(ref), {
      ...(authconfig === undefined ? {} : { authconfig }),
      ...(signal === undefined ? {} : { abortSignal: signal }),
    })) as Readable;
    await followToEnd(docker, stream);
    // An abort mid-stream can look like a normal end of stream.
    signal?.throwIfAborted();
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    const detail = error instanceof PullStreamError ? error.message : dockerDetail(error);
    const status = dockerStatus(error);
    // No cause: the error objects of an authenticated pull are kept away from logs.
    throw new ExternalError('docker', `pull ${ref}: ${detail}${hint(detail, credentials !== undefined)}`, {
      ...(status === undefined ? {} : { status }),
    });
  }
}

class PullStreamError extends Error {}

function followToEnd(docker: Docker, stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    const onProgress = (event: ProgressEvent): void => {
      failure ??= event.errorDetail?.message ?? event.error;
    };
    const onFinished = (error: Error | null): void => {
      if (error !== null) reject(error);
      else if (failure !== undefined) reject(new PullStreamError(failure));
      else resolve();
    };
    (
      docker.modem as { followProgress: (s: Readable, f: typeof onFinished, p: typeof onProgress) => void }
    ).followProgress(stream, onFinished, onProgress);
  });
}

/** Without a tag or digest the engine would pull every tag; docker's CLI means :latest. */
function withTag(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  return ref.includes('@') || ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

function hint(detail: string, withCredentials: boolean): string {
  if (
    /unauthorized|authentication required|no basic auth|denied|incorrect username or password/i.test(detail)
  ) {
    return withCredentials
      ? ' (the registry rejected the credentials: check the registry username and password/token)'
      : ' (the registry needs credentials: configure them for this registry)';
  }
  if (/manifest unknown|not found|does not exist/i.test(detail)) {
    return ' (no such image or tag in the registry: check the repository name and that CI pushed this tag)';
  }
  return '';
}
