// Event names mirrored from app_events.go (a Go test keeps the lists equal).
import { EventsOn } from '../../wailsjs/runtime/runtime';
import type { AccountsEvents } from './stores/accounts.svelte';
import type { AddProgress, SwitchProgress } from './contract.gen';
import { StatusFeed } from './statusfeed';

export const Events = {
  ConfigChanged: 'config:changed',
  WindowMode: 'window:mode',
  Status: 'status',
  SwitchProgress: 'switch:progress',
  AddProgress: 'add:progress',
  TokensChanged: 'tokens:changed',
  TokensProgress: 'tokens:progress',
  Update: 'update:checked',
} as const;

export type EventName = (typeof Events)[keyof typeof Events];

/** Subscribe to a backend event; returns the unsubscribe function. */
export function on<T>(name: EventName, handler: (payload: T) => void): () => void {
  return EventsOn(name, (payload: T) => handler(payload));
}

export const accountsEvents: AccountsEvents = {
  // The event says only "changed"; the feed reads the document.
  onStatus: (h) => {
    const feed = new StatusFeed(h, (e) => console.warn(e.message));
    return on<void>(Events.Status, () => feed.changed());
  },
  onSwitchProgress: (h) => on<SwitchProgress>(Events.SwitchProgress, h),
  onAddProgress: (h) => on<AddProgress>(Events.AddProgress, h),
};
