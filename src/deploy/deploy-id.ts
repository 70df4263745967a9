import { randomBytes } from 'node:crypto';

/**
 * A sortable unique deploy id: milliseconds since the epoch in base 36 (fixed width, so ids sort
 * by creation time as strings) followed by 6 random base-36 characters.
 */
export function newDeployId(now: Date = new Date()): string {
  const time = now.getTime().toString(36).padStart(9, '0');
  const random = Array.from(randomBytes(6), (b) => (b % 36).toString(36)).join('');
  return `${time}${random}`;
}
