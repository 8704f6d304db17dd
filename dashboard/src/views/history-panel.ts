// A key's revision history: each earlier version is read with a range at
// the revision before the newer one's mod revision (until the key's creation
// or the compacted revision), then shown with a line diff to the next.

import type { AppContext } from '../app-context.js';
import { describeError } from '../api.js';
import { fromBase64, isPrintable, text } from '../bytes.js';
import { lineDiff } from '../diff.js';
import { h, replaceChildren } from '../dom.js';
import { range, type KeyValue } from '../kv.js';

const MAX_VERSIONS = 50;

export class HistoryPanel {
  readonly element = h('details', { class: 'history', 'data-test': 'history' });
  private readonly body = h('div', {});
  private loaded = false;

  constructor(
    private readonly context: AppContext,
    private readonly key: Uint8Array,
    private readonly latest: KeyValue,
  ) {
    this.element.append(h('summary', {}, 'Revision history'), this.body);
    this.element.addEventListener('toggle', () => {
      if ((this.element as HTMLDetailsElement).open && !this.loaded) {
        this.loaded = true;
        void this.load();
      }
    });
  }

  private async load(): Promise<void> {
    replaceChildren(this.body, h('p', { class: 'muted' }, 'Loading versions…'));
    const versions: KeyValue[] = [this.latest];
    let note = '';
    try {
      while (versions.length < MAX_VERSIONS) {
        const newest = versions[versions.length - 1]!;
        const modRevision = Number(newest.mod_revision ?? 0);
        const createRevision = Number(newest.create_revision ?? 0);
        // The first version of this life of the key: nothing earlier to read.
        if (modRevision <= createRevision || modRevision <= 1) break;
        const earlier = (await range(this.context.gateway, this.key, { revision: modRevision - 1 })).kvs?.[0];
        if (earlier === undefined) break;
        versions.push(earlier);
      }
    } catch (error) {
      note = /compacted/.test(describeError(error)) ? 'Older versions were compacted away.' : describeError(error);
    }
    let selected = 0;
    const list = h('ol', { class: 'versions' });
    const view = h('div', { class: 'diff', 'data-test': 'history-diff' });
    const show = (index: number) => {
      selected = index;
      for (const [i, item] of [...list.children].entries()) item.classList.toggle('selected', i === index);
      const current = versions[index]!;
      const older = versions[index + 1];
      const now = valueText(current);
      if (older === undefined) {
        replaceChildren(view, h('p', { class: 'muted' }, `Revision ${current.mod_revision}: first version shown.`), h('pre', { class: 'value' }, now));
        return;
      }
      const lines = lineDiff(valueText(older), now);
      replaceChildren(
        view,
        h('p', { class: 'muted' }, `Changes from revision ${older.mod_revision} to ${current.mod_revision}:`),
        h('pre', { class: 'value' }, ...lines.map((line) => h('span', { class: `diff-${line.kind}` }, `${line.kind === 'added' ? '+' : line.kind === 'removed' ? '-' : ' '} ${line.line}\n`))),
      );
    };
    versions.forEach((version, index) => {
      list.append(h('li', {}, h('button', { type: 'button', onclick: () => show(index) }, `rev ${version.mod_revision} (version ${version.version})`)));
    });
    const step = (delta: number) => show(Math.min(versions.length - 1, Math.max(0, selected + delta)));
    replaceChildren(
      this.body,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => step(1) }, '◀ Older'), h('button', { type: 'button', onclick: () => step(-1) }, 'Newer ▶')),
      note ? h('p', { class: 'muted' }, note) : null,
      h('div', { class: 'history-layout' }, list, view),
    );
    show(0);
  }
}

function valueText(kv: KeyValue): string {
  const bytes = fromBase64(kv.value);
  if (!isPrintable(bytes)) return `<${bytes.length} binary bytes>`;
  const value = text(bytes);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}
