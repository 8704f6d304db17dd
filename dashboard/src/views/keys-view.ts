// Keys: the lazy tree (with counts per folder), prefix search, and the
// selected key's detail (key-detail.ts); a form for new keys.

import type { AppContext } from '../app-context.js';
import { describeError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { loadChildren } from '../key-tree.js';
import { countPrefix, range } from '../kv.js';
import { displayKey, fromBase64, prefixEnd, utf8, concat } from '../bytes.js';
import { KeyDetail } from './key-detail.js';

const SEARCH_LIMIT = 500;

export class KeysView {
  readonly element: HTMLElement;
  private readonly tree = h('ul', { class: 'tree', 'data-test': 'key-tree' });
  private readonly detail: KeyDetail;
  private readonly searchInput = h('input', { type: 'search', placeholder: 'Search by prefix, e.g. /registry/pods/', 'data-test': 'prefix-search' });

  constructor(private readonly context: AppContext) {
    this.detail = new KeyDetail(context, () => void this.refresh());
    const search = h(
      'form',
      { class: 'search', onsubmit: (event: Event) => (event.preventDefault(), void this.search()) },
      this.searchInput,
      h('button', { type: 'submit' }, 'Search'),
    );
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => void this.refresh(), title: 'Reload the tree' }, 'Reload'),
      context.readOnly ? null : h('button', { type: 'button', 'data-test': 'new-key', onclick: () => this.detail.showNew() }, 'New key'),
    );
    this.element = h('section', { class: 'view keys-view', 'data-view': 'keys' }, h('div', { class: 'sidebar' }, search, toolbar, this.tree), this.detail.element);
  }

  async refresh(): Promise<void> {
    if (this.searchInput.value.trim() !== '') return this.search();
    await this.fillFolder(this.tree, new Uint8Array(0));
  }

  /** Opens a key's detail (the tests' and the watch panel's way in). */
  open(key: Uint8Array): void {
    void this.detail.show(key);
  }

  private async search(): Promise<void> {
    const prefix = this.searchInput.value;
    if (prefix.trim() === '') return this.refresh();
    replaceChildren(this.tree, h('li', { class: 'muted' }, 'Searching…'));
    try {
      const bytes = utf8(prefix);
      const answer = await range(this.context.gateway, bytes, { rangeEnd: prefixEnd(bytes), keysOnly: true, limit: SEARCH_LIMIT });
      const total = Number(answer.count ?? 0);
      const keys = (answer.kvs ?? []).map((kv) => fromBase64(kv.key));
      replaceChildren(
        this.tree,
        h('li', { class: 'muted', 'data-test': 'search-count' }, `${total} key${total === 1 ? '' : 's'} with prefix ${prefix}${total > keys.length ? ` (first ${keys.length} shown)` : ''}`),
        ...keys.map((key) => this.keyItem(key, displayKey(key))),
      );
    } catch (error) {
      replaceChildren(this.tree, h('li', { class: 'error' }, describeError(error)));
    }
  }

  /** Fills `list` with a folder's children, page by page as they load (sub-folders first, then keys). */
  private async fillFolder(list: HTMLElement, folder: Uint8Array): Promise<void> {
    const loading = h('li', { class: 'muted' }, 'Loading…');
    replaceChildren(list, loading);
    // Sub-folders go before this marker, keys after it.
    const keysStart = h('li', { hidden: true });
    list.prepend(keysStart);
    try {
      const children = await loadChildren(this.context.gateway, folder, 500, (folders, keys) => {
        for (const name of folders) keysStart.before(this.folderItem(concat(folder, name, utf8('/')), `${displayKey(name)}/`));
        for (const key of keys) loading.before(this.keyItem(key, key.length > folder.length ? displayKey(key.slice(folder.length)) : "(this folder's key)"));
      });
      if (children.truncated) loading.replaceWith(h('li', { class: 'muted' }, 'More keys: narrow down with the prefix search.'));
      else if (children.folders.length + children.keys.length === 0) loading.replaceWith(h('li', { class: 'muted' }, folder.length === 0 ? 'The store is empty.' : 'No keys.'));
      else loading.remove();
    } catch (error) {
      loading.replaceWith(h('li', { class: 'error' }, describeError(error)));
    }
  }

  private folderItem(prefix: Uint8Array, label: string): HTMLElement {
    const count = h('span', { class: 'count' });
    const children = h('ul', { class: 'tree', hidden: true });
    let loaded = false;
    const toggle = h('button', { type: 'button', class: 'folder', 'data-folder': displayKey(prefix), 'aria-expanded': 'false' }, h('span', { class: 'caret' }), label, ' ', count);
    toggle.addEventListener('click', async () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      children.hidden = !open;
      if (open && !loaded) {
        loaded = true;
        await this.fillFolder(children, prefix);
      }
    });
    // The count per folder: one count-only range, when the folder is shown.
    countPrefix(this.context.gateway, prefix).then(
      (total) => (count.textContent = `(${total})`),
      () => (count.textContent = ''),
    );
    return h('li', {}, toggle, children);
  }

  private keyItem(key: Uint8Array, label: string): HTMLElement {
    return h('li', {}, h('button', { type: 'button', class: 'key', 'data-key': displayKey(key), title: displayKey(key), onclick: () => void this.detail.show(key) }, label));
  }
}
