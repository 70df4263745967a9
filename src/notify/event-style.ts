import type { NotificationEvent } from './notification.js';

/** How an event looks in chat and push apps. */
export interface EventStyle {
  /** Emoji shown before chat titles. */
  emoji: string;
  /** ntfy tag that ntfy turns into the same emoji. */
  ntfyTag: string;
  /** RGB colour of Discord embeds and Slack attachments. */
  color: number;
  /** ntfy priority, 1 (min) to 5 (max). */
  ntfyPriority: number;
  /** Gotify priority, 0 to 10 (Gotify's Android app makes a sound from 4, a pop-up from 8). */
  gotifyPriority: number;
}

/** One style per event: failures and what needs a person are louder than progress. */
export const EVENT_STYLES: Readonly<Record<NotificationEvent, EventStyle>> = {
  started: { emoji: '🚀', ntfyTag: 'rocket', color: 0x3498db, ntfyPriority: 2, gotifyPriority: 2 },
  succeeded: {
    emoji: '✅',
    ntfyTag: 'white_check_mark',
    color: 0x2ecc71,
    ntfyPriority: 3,
    gotifyPriority: 5,
  },
  failed: { emoji: '🚨', ntfyTag: 'rotating_light', color: 0xe74c3c, ntfyPriority: 4, gotifyPriority: 8 },
  rolled_back: {
    emoji: '↩️',
    ntfyTag: 'leftwards_arrow_with_hook',
    color: 0xe67e22,
    ntfyPriority: 4,
    gotifyPriority: 7,
  },
  awaiting_approval: {
    emoji: '⏳',
    ntfyTag: 'hourglass',
    color: 0xf1c40f,
    ntfyPriority: 4,
    gotifyPriority: 6,
  },
};

/** `#rrggbb` for formats that take colours as strings. */
export function hexColor(color: number): string {
  return `#${color.toString(16).padStart(6, '0')}`;
}

/** Cuts `text` to `max` characters, marking the cut with an ellipsis (chat APIs reject longer). */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
