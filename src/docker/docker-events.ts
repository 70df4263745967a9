import type { Readable } from 'node:stream';
import type { ContainerEvent } from './engine.js';

const actions: readonly ContainerEvent['action'][] = [
  'die',
  'oom',
  'health_status',
  'start',
  'stop',
  'restart',
  'destroy',
];

interface RawEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  id?: string;
}

/**
 * Maps one engine event to a ContainerEvent, or undefined for events docker-watcher ignores
 * (exec_* from health checks, attach, ...). Attributes hold the labels plus name/image/exitCode.
 */
export function toContainerEvent(raw: RawEvent): ContainerEvent | undefined {
  if (raw.Type !== undefined && raw.Type !== 'container') return undefined;
  // health_status arrives as "health_status: healthy".
  const [name = '', status] = (raw.Action ?? '').split(':', 2).map((part) => part.trim());
  const action = actions.find((candidate) => candidate === name);
  const containerId = raw.Actor?.ID ?? raw.id;
  if (action === undefined || containerId === undefined) return undefined;
  const attributes = raw.Actor?.Attributes ?? {};
  const { exitCode, name: _name, image: _image, ...labels } = attributes;
  const event: ContainerEvent = { containerId, action, labels };
  if (action === 'health_status' && status !== undefined && status !== '') event.detail = status;
  if (action === 'die' && exitCode !== undefined) event.detail = exitCode;
  return event;
}

/**
 * Reads newline-delimited JSON events from `stream` until it ends; `accept` picks which to pass
 * on. Resolves at end of stream, rejects on a stream error.
 */
export function readEvents(
  stream: Readable,
  onEvent: (event: ContainerEvent) => void,
  accept: (event: ContainerEvent) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line === '') continue;
        let event: ContainerEvent | undefined;
        try {
          event = toContainerEvent(JSON.parse(line) as RawEvent);
        } catch {
          continue;
        }
        if (event === undefined || !accept(event)) continue;
        try {
          onEvent(event);
        } catch (error) {
          stream.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
      }
    });
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', reject);
  });
}
