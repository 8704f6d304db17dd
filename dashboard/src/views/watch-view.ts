// The live watch panel: changes under a prefix as they happen (puts and
// deletes, with previous values), newest first.

import type { AppContext } from '../app-context.js';
import { displayKey, fromBase64, isPrintable, text } from '../bytes.js';
import { h, replaceChildren } from '../dom.js';
import { Watcher, type WatchEvent } from '../watcher.js';

const MAX_ROWS = 500;
const PREVIEW_CHARS = 120;

export class WatchView {
  readonly element: HTMLElement;
  private readonly prefixInput = h('input', { type: 'text', value: '', placeholder: 'prefix (empty: every key)', 'data-test': 'watch-prefix' });
  private readonly state = h('span', { class: 'watch-state', 'data-test': 'watch-state' }, 'not watching');
  private readonly rows = h('tbody', { 'data-test': 'watch-events' });
  private readonly button = h('button', { type: 'submit', 'data-test': 'watch-toggle' }, 'Watch');
  private watcher: Watcher | undefined;

  constructor(private readonly context: AppContext) {
    this.element = h(
      'section',
      { class: 'view watch-view', 'data-view': 'watch' },
      h('form', { class: 'search', onsubmit: (event: Event) => (event.preventDefault(), this.toggle()) }, this.prefixInput, this.button, h('button', { type: 'button', onclick: () => replaceChildren(this.rows) }, 'Clear')),
      h('p', {}, this.state),
      h(
        'table',
        { class: 'events' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Type'), h('th', {}, 'Key'), h('th', {}, 'Revision'), h('th', {}, 'Value'), h('th', {}, 'Previous value'))),
        this.rows,
      ),
    );
  }

  /** Starts watching when the panel is first shown. */
  activate(): void {
    if (this.watcher === undefined) this.start();
  }

  private toggle(): void {
    if (this.watcher) {
      this.watcher.stop();
      this.watcher = undefined;
      this.button.textContent = 'Watch';
      this.state.textContent = 'not watching';
      this.state.className = 'watch-state';
    } else this.start();
  }

  private start(): void {
    const prefix = this.prefixInput.value;
    this.button.textContent = 'Stop';
    this.state.textContent = 'connecting…';
    const watcher = new Watcher(this.context.gateway, prefix, {
      onEvents: (events) => this.add(events),
      onState: (state, detail) => {
        if (this.watcher !== watcher) return;
        this.state.className = `watch-state ${state}`;
        this.state.textContent =
          state === 'watching' ? `watching ${prefix === '' ? 'every key' : `keys with prefix ${prefix}`} from revision ${detail}` : state === 'reconnecting' ? `connection lost (${detail}); reconnecting…` : `watch failed: ${detail}`;
      },
    });
    this.watcher = watcher;
    watcher.start();
  }

  private add(events: WatchEvent[]): void {
    const time = new Date().toLocaleTimeString();
    for (const event of events) {
      const type = event.type ?? 'PUT';
      this.rows.prepend(
        h(
          'tr',
          { class: `event-${type.toLowerCase()}`, 'data-key': displayKey(fromBase64(event.kv.key)) },
          h('td', {}, time),
          h('td', { class: 'type' }, type),
          h('td', { class: 'key' }, displayKey(fromBase64(event.kv.key))),
          h('td', {}, event.kv.mod_revision ?? ''),
          h('td', { class: 'value' }, type === 'DELETE' ? '' : preview(event.kv.value)),
          h('td', { class: 'value' }, event.prev_kv ? preview(event.prev_kv.value) : ''),
        ),
      );
    }
    while (this.rows.children.length > MAX_ROWS) this.rows.lastElementChild?.remove();
  }
}

function preview(value: string | undefined): string {
  const bytes = fromBase64(value);
  if (!isPrintable(bytes)) return `<${bytes.length} bytes>`;
  const shown = text(bytes);
  return shown.length > PREVIEW_CHARS ? `${shown.slice(0, PREVIEW_CHARS)}…` : shown;
}
