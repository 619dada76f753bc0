// Event names mirrored from app_events.go (a Go test keeps the lists equal).
import { EventsOn } from '../../wailsjs/runtime/runtime';

export const Events = {
  ConfigChanged: 'config:changed',
  WindowMode: 'window:mode',
} as const;

export type EventName = (typeof Events)[keyof typeof Events];

/** Subscribe to a backend event; returns the unsubscribe function. */
export function on<T>(name: EventName, handler: (payload: T) => void): () => void {
  return EventsOn(name, (payload: T) => handler(payload));
}
