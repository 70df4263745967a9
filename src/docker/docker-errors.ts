import { ExternalError } from '../core/errors.js';

/** The HTTP status of a dockerode error, when the engine answered. */
export function dockerStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message (`{"message": ...}` body) or the error's message. */
export function dockerDetail(error: unknown): string {
  const json = (error as { json?: unknown } | null)?.json;
  if (json !== null && typeof json === 'object' && 'message' in json && typeof json.message === 'string') {
    return json.message.trim();
  }
  // dockerode formats "(HTTP code 404) no such container - <engine message>".
  if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\) [^-]*? - /, '').trim();
  return String(error);
}

/**
 * Wraps a failed engine call as ExternalError('docker') naming what was done to what, e.g.
 * "start dw-web-prod-v2: driver failed ...". An aborted call rethrows the signal's reason.
 */
export function dockerError(action: string, subject: string, error: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted === true)
    return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
  if (error instanceof ExternalError) return error;
  const status = dockerStatus(error);
  return new ExternalError('docker', `${action} ${subject}: ${dockerDetail(error)}`, {
    cause: error,
    ...(status === undefined ? {} : { status }),
  });
}

/** Runs an engine call, turning its failure into dockerError(action, subject). */
export async function dockerCall<T>(
  action: string,
  subject: string,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw dockerError(action, subject, error, signal);
  }
}

/** Like dockerCall, but a 404 from the engine yields undefined. */
export async function dockerCallOrMissing<T>(
  action: string,
  subject: string,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (dockerStatus(error) === 404 && signal?.aborted !== true) return undefined;
    throw dockerError(action, subject, error, signal);
  }
}
