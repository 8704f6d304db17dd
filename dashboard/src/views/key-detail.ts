// One key: its metadata, its value in several formats (cut when huge, with a
// download of the whole), editing (JSON values must stay valid JSON),
// deletion with a confirmation, and its revision history with diffs.

import type { AppContext } from '../app-context.js';
import { describeError } from '../api.js';
import { displayKey, fromBase64, formatBytes, text, utf8 } from '../bytes.js';
import { h, replaceChildren } from '../dom.js';
import { deleteKey, put, range, type KeyValue } from '../kv.js';
import { DISPLAY_LIMIT_BYTES, formatsFor, parseJson, render, type ValueFormat } from '../value-format.js';
import { HistoryPanel } from './history-panel.js';

const FORMAT_LABELS: Record<ValueFormat, string> = { text: 'Text', json: 'JSON', yaml: 'YAML', hex: 'Hex', kubernetes: 'Kubernetes' };

export class KeyDetail {
  readonly element = h('div', { class: 'detail', 'data-test': 'key-detail' }, h('p', { class: 'muted' }, 'Select a key in the tree.'));
  private downloadUrl: string | undefined;

  constructor(
    private readonly context: AppContext,
    private readonly changed: () => void,
  ) {}

  async show(key: Uint8Array): Promise<void> {
    const name = displayKey(key);
    replaceChildren(this.element, h('p', { class: 'muted' }, `Loading ${name}…`));
    let kv: KeyValue | undefined;
    try {
      kv = (await range(this.context.gateway, key)).kvs?.[0];
    } catch (error) {
      replaceChildren(this.element, h('h2', {}, name), h('p', { class: 'error', 'data-test': 'detail-error' }, describeError(error)));
      return;
    }
    if (kv === undefined) {
      replaceChildren(this.element, h('h2', {}, name), h('p', { class: 'muted' }, 'This key does not exist (any more).'));
      return;
    }
    this.render(key, kv);
  }

  showNew(): void {
    const keyInput = h('input', { type: 'text', placeholder: '/path/to/key', 'data-test': 'new-key-name', required: true });
    const leaseInput = h('input', { type: 'text', placeholder: 'lease ID (optional, decimal)', 'data-test': 'new-key-lease' });
    const valueInput = h('textarea', { rows: 10, 'data-test': 'new-key-value' });
    const asJson = h('input', { type: 'checkbox', 'data-test': 'new-key-json' });
    const message = h('p', { class: 'error', 'data-test': 'edit-error' });
    const save = async (event: Event) => {
      event.preventDefault();
      if (asJson.checked) {
        const parsed = parseJson(valueInput.value);
        if (!parsed.ok) return void (message.textContent = `Invalid JSON, not saved: ${parsed.error}`);
      }
      try {
        await put(this.context.gateway, utf8(keyInput.value), utf8(valueInput.value), leaseInput.value.trim() || undefined);
        this.context.notify(`Created ${keyInput.value}`);
        this.changed();
        await this.show(utf8(keyInput.value));
      } catch (error) {
        message.textContent = describeError(error);
      }
    };
    replaceChildren(
      this.element,
      h('h2', {}, 'New key'),
      h(
        'form',
        { class: 'edit-form', onsubmit: save },
        h('label', {}, 'Key ', keyInput),
        h('label', {}, 'Lease ', leaseInput),
        h('label', {}, 'Value ', valueInput),
        h('label', { class: 'inline' }, asJson, ' Value is JSON (checked before saving)'),
        message,
        h('div', { class: 'buttons' }, h('button', { type: 'submit', 'data-test': 'save-new' }, 'Create')),
      ),
    );
  }

  private render(key: Uint8Array, kv: KeyValue): void {
    const name = displayKey(key);
    const value = fromBase64(kv.value);
    const formats = formatsFor(value);
    const pre = h('pre', { class: 'value', 'data-test': 'value-view' });
    const tabs = h('div', { class: 'tabs', role: 'tablist' });
    const select = (format: ValueFormat) => {
      pre.textContent = render(value, format);
      for (const tab of tabs.children) tab.setAttribute('aria-selected', String(tab.getAttribute('data-format') === format));
    };
    for (const format of formats) tabs.append(h('button', { type: 'button', role: 'tab', 'data-format': format, onclick: () => select(format) }, FORMAT_LABELS[format]));
    select(formats[0]!);

    if (this.downloadUrl) URL.revokeObjectURL(this.downloadUrl);
    this.downloadUrl = URL.createObjectURL(new Blob([value.slice().buffer as ArrayBuffer], { type: 'application/octet-stream' }));
    const fileName = name.split('/').filter(Boolean).pop() ?? 'value';
    const truncated =
      value.length > DISPLAY_LIMIT_BYTES
        ? h('p', { class: 'notice', 'data-test': 'truncated' }, `Showing the first ${formatBytes(DISPLAY_LIMIT_BYTES)} of ${formatBytes(value.length)}. `, h('a', { href: this.downloadUrl, download: fileName }, 'Download the whole value'))
        : null;

    const history = new HistoryPanel(this.context, key, kv);
    const actions = this.context.readOnly
      ? null
      : h(
          'div',
          { class: 'buttons' },
          h('button', { type: 'button', 'data-test': 'edit', onclick: () => this.edit(key, kv, value) }, 'Edit'),
          h('button', { type: 'button', class: 'danger', 'data-test': 'delete', onclick: (event: Event) => this.confirmDelete(key, event.currentTarget as HTMLElement) }, 'Delete'),
        );
    replaceChildren(
      this.element,
      h('h2', { 'data-test': 'detail-key' }, name),
      h(
        'dl',
        { class: 'meta' },
        ...meta('Size', formatBytes(value.length)),
        ...meta('Version', kv.version ?? '0'),
        ...meta('Created at revision', kv.create_revision ?? '0'),
        ...meta('Modified at revision', kv.mod_revision ?? '0'),
        ...meta('Lease', kv.lease && kv.lease !== '0' ? kv.lease : 'none'),
      ),
      actions,
      tabs,
      truncated,
      pre,
      h('p', {}, h('a', { href: this.downloadUrl, download: fileName }, 'Download value')),
      history.element,
    );
  }

  private edit(key: Uint8Array, kv: KeyValue, value: Uint8Array): void {
    const name = displayKey(key);
    const wasJson = formatsFor(value)[0] === 'json';
    const original = text(value);
    const input = h('textarea', { rows: 16, 'data-test': 'edit-value', value: wasJson ? JSON.stringify(JSON.parse(original), null, 2) : original });
    const lease = h('input', { type: 'text', 'data-test': 'edit-lease', value: kv.lease && kv.lease !== '0' ? kv.lease : '', placeholder: 'lease ID (optional)' });
    const message = h('p', { class: 'error', 'data-test': 'edit-error' });
    const save = async (event: Event) => {
      event.preventDefault();
      let newValue = input.value;
      if (wasJson) {
        const parsed = parseJson(newValue);
        if (!parsed.ok) return void (message.textContent = `Invalid JSON, not saved: ${parsed.error}`);
        // Kept compact when it was stored compact.
        if (!original.includes('\n')) newValue = JSON.stringify(parsed.value);
      }
      try {
        await put(this.context.gateway, key, utf8(newValue), lease.value.trim() || undefined);
        this.context.notify(`Saved ${name}`);
        await this.show(key);
      } catch (error) {
        message.textContent = describeError(error);
      }
    };
    replaceChildren(
      this.element,
      h('h2', {}, `Edit ${name}`),
      h(
        'form',
        { class: 'edit-form', onsubmit: save },
        wasJson ? h('p', { class: 'muted' }, 'This value is JSON: it must stay valid JSON to be saved.') : null,
        input,
        h('label', {}, 'Lease ', lease),
        message,
        h(
          'div',
          { class: 'buttons' },
          h('button', { type: 'submit', 'data-test': 'save' }, 'Save'),
          h('button', { type: 'button', onclick: () => void this.show(key) }, 'Cancel'),
        ),
      ),
    );
  }

  private confirmDelete(key: Uint8Array, anchor: HTMLElement): void {
    const name = displayKey(key);
    const confirm = h('span', { class: 'confirm' }, `Delete ${name}? `);
    const yes = h('button', { type: 'button', class: 'danger', 'data-test': 'confirm-delete' }, 'Yes, delete');
    const no = h('button', { type: 'button', onclick: () => confirm.remove() }, 'No');
    yes.addEventListener('click', async () => {
      try {
        await deleteKey(this.context.gateway, key);
        this.context.notify(`Deleted ${name}`);
        replaceChildren(this.element, h('p', { class: 'muted' }, `${name} was deleted.`));
        this.changed();
      } catch (error) {
        this.context.notify(describeError(error), 'error');
      }
    });
    confirm.append(yes, ' ', no);
    anchor.after(confirm);
  }
}

function meta(term: string, description: string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, description)];
}
