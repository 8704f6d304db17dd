// Leases: each with its TTL counting down (refreshed from the member every
// few seconds) and the keys attached to it; grant and revoke.

import type { AppContext } from '../app-context.js';
import { describeError } from '../api.js';
import { displayKey, fromBase64 } from '../bytes.js';
import { h, replaceChildren } from '../dom.js';
import { leaseGrant, leaseRevoke, leases, leaseTimeToLive, type LeaseInfo } from '../kv.js';

const REFRESH_MS = 5000;

export class LeasesView {
  readonly element: HTMLElement;
  private readonly rows = h('tbody', { 'data-test': 'lease-rows' });
  private readonly message = h('p', { class: 'muted' });
  private known: Array<{ info: LeaseInfo; expiresAt: number; ttlCell: HTMLElement }> = [];
  private timers: number[] = [];

  constructor(private readonly context: AppContext) {
    const ttlInput = h('input', { type: 'number', min: 1, value: 60, 'data-test': 'lease-ttl' });
    const grant = context.readOnly
      ? null
      : h(
          'form',
          {
            class: 'search',
            onsubmit: async (event: Event) => {
              event.preventDefault();
              try {
                const granted = await leaseGrant(context.gateway, Number(ttlInput.value));
                context.notify(`Granted lease ${granted.ID} (${granted.TTL}s)`);
                await this.refresh();
              } catch (error) {
                context.notify(describeError(error), 'error');
              }
            },
          },
          h('label', {}, 'TTL (s) ', ttlInput),
          h('button', { type: 'submit' }, 'Grant lease'),
        );
    this.element = h(
      'section',
      { class: 'view leases-view', 'data-view': 'leases' },
      grant,
      this.message,
      h('table', { class: 'events' }, h('thead', {}, h('tr', {}, h('th', {}, 'Lease ID'), h('th', {}, 'TTL left'), h('th', {}, 'Granted TTL'), h('th', {}, 'Keys'), h('th', {}, ''))), this.rows),
    );
  }

  activate(): void {
    void this.refresh();
    if (this.timers.length === 0) {
      this.timers.push(window.setInterval(() => this.tick(), 1000), window.setInterval(() => void this.refresh(), REFRESH_MS));
    }
  }

  deactivate(): void {
    for (const timer of this.timers) window.clearInterval(timer);
    this.timers = [];
  }

  private async refresh(): Promise<void> {
    try {
      const ids = (await leases(this.context.gateway)).leases ?? [];
      const infos = await Promise.all(ids.map((lease) => leaseTimeToLive(this.context.gateway, lease.ID).catch(() => undefined)));
      this.known = [];
      const rows = infos
        .filter((info): info is LeaseInfo => info !== undefined && Number(info.TTL ?? -1) >= 0)
        .map((info) => {
          const ttlCell = h('td', { class: 'ttl' });
          this.known.push({ info, expiresAt: Date.now() + Number(info.TTL ?? 0) * 1000, ttlCell });
          return h(
            'tr',
            { 'data-lease': info.ID },
            h('td', {}, info.ID, h('br'), h('small', { class: 'muted' }, `0x${BigInt(info.ID).toString(16)}`)),
            ttlCell,
            h('td', {}, `${info.grantedTTL ?? '?'}s`),
            h('td', { class: 'keys' }, ...(info.keys ?? []).map((key) => h('div', {}, displayKey(fromBase64(key))))),
            h('td', {}, this.context.readOnly ? null : h('button', { type: 'button', class: 'danger', onclick: () => void this.revoke(info.ID) }, 'Revoke')),
          );
        });
      this.message.textContent = rows.length === 0 ? 'No leases.' : `${rows.length} lease${rows.length === 1 ? '' : 's'}.`;
      replaceChildren(this.rows, ...rows);
      this.tick();
    } catch (error) {
      this.message.textContent = describeError(error);
    }
  }

  private tick(): void {
    for (const lease of this.known) {
      const left = Math.max(0, Math.round((lease.expiresAt - Date.now()) / 1000));
      lease.ttlCell.textContent = `${left}s`;
    }
  }

  private async revoke(id: string): Promise<void> {
    try {
      await leaseRevoke(this.context.gateway, id);
      this.context.notify(`Revoked lease ${id}`);
      await this.refresh();
    } catch (error) {
      this.context.notify(describeError(error), 'error');
    }
  }
}
