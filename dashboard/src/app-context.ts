// What every view gets: the gateway, read-only mode and the message line.

import type { Gateway } from './api.js';

export interface AppContext {
  gateway: Gateway;
  readOnly: boolean;
  /** Shows a message in the page's notice line ('error' ones stay until the next). */
  notify(message: string, kind?: 'info' | 'error'): void;
}
