// The cluster: every member with its status (asked of that member through
// its own client URL's gateway; one that does not answer in time is shown
// unreachable), the leader marked, alarms, charts of this member's metrics,
// and the maintenance buttons (compaction, defragmentation, snapshot).

import type { AppContext } from '../app-context.js';
import { describeError, type Gateway } from '../api.js';
import { formatBytes, fromBase64 } from '../bytes.js';
import { lineChart } from '../chart.js';
import { h, replaceChildren } from '../dom.js';
import { alarms, memberList, status, type Member, type StatusResponse } from '../kv.js';
import { CHARTS, MetricsHistory } from '../metrics.js';

const REFRESH_MS = 3000;
const STATUS_TIMEOUT_MS = 2000;

interface MemberState {
  member: Member;
  status?: StatusResponse;
  error?: string;
}

export class ClusterView {
  readonly element: HTMLElement;
  private readonly summary = h('div', { class: 'summary', 'data-test': 'cluster-summary' });
  private readonly rows = h('tbody', { 'data-test': 'member-rows' });
  private readonly alarmLine = h('p', { 'data-test': 'alarms' });
  private readonly charts = h('div', { class: 'charts', 'data-test': 'charts' });
  private readonly metrics = new MetricsHistory(() => this.drawCharts());
  private timer: number | undefined;
  private refreshing = false;

  constructor(private readonly context: AppContext) {
    const maintenance = context.readOnly
      ? null
      : h(
          'div',
          { class: 'buttons' },
          h('button', { type: 'button', onclick: () => void this.compact(), title: 'Compact history up to the current revision' }, 'Compact'),
          h('button', { type: 'button', onclick: () => void this.snapshot(), title: 'Download a snapshot of this member' }, 'Download snapshot'),
        );
    this.element = h(
      'section',
      { class: 'view cluster-view', 'data-view': 'cluster' },
      this.summary,
      this.alarmLine,
      h(
        'table',
        { class: 'events members' },
        h(
          'thead',
          {},
          h('tr', {}, ...['Member', 'ID', 'Health', 'Role', 'Raft term', 'Raft index', 'Applied index', 'DB size', 'DB in use', 'Version', 'Client URLs', ''].map((label) => h('th', {}, label))),
        ),
        this.rows,
      ),
      maintenance,
      h('h3', {}, 'This member over the last minutes'),
      this.charts,
    );
  }

  activate(): void {
    void this.refresh();
    this.metrics.start();
    if (this.timer === undefined) this.timer = window.setInterval(() => void this.refresh(), REFRESH_MS);
  }

  deactivate(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
    this.metrics.stop();
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const local = await status(this.context.gateway);
      const localId = local.header.member_id ?? '';
      const members = (await memberList(this.context.gateway)).members ?? [];
      const states = await Promise.all(members.map((member) => this.stateOf(member, localId, local)));
      const leader = states.find((state) => state.status && state.status.leader === state.member.ID);
      const healthy = states.filter((state) => state.status && !state.error).length;
      replaceChildren(
        this.summary,
        tile('Members', `${members.length}`),
        tile('Healthy', `${healthy} of ${members.length}`, healthy === members.length ? 'good' : 'bad'),
        tile('Leader', leader?.member.name || (local.leader && local.leader !== '0' ? local.leader : 'none'), local.leader && local.leader !== '0' ? 'good' : 'bad'),
        tile('Raft term', local.raftTerm ?? '?'),
        tile('Revision', local.header.revision ?? '?'),
        tile('DB size', formatBytes(Number(local.dbSize ?? 0))),
      );
      replaceChildren(this.rows, ...states.map((state) => this.row(state, localId)));
      const active = (await alarms(this.context.gateway).catch(() => ({ alarms: [] }))).alarms ?? [];
      this.alarmLine.className = active.length ? 'error' : 'muted';
      this.alarmLine.textContent = active.length ? `Alarms: ${active.map((alarm) => `${alarm.alarm ?? 'NONE'} on ${alarm.memberID}`).join(', ')}` : 'No alarms.';
    } catch (error) {
      replaceChildren(this.summary, h('p', { class: 'error' }, describeError(error)));
    } finally {
      this.refreshing = false;
    }
  }

  private async stateOf(member: Member, localId: string, local: StatusResponse): Promise<MemberState> {
    if (member.ID === localId) return { member, status: local };
    const url = member.clientURLs?.[0];
    if (!url) return { member, error: 'not started (no client URL yet)' };
    try {
      return { member, status: await status(this.gatewayOf(url), STATUS_TIMEOUT_MS) };
    } catch (error) {
      return { member, error: describeError(error) };
    }
  }

  private readonly others = new Map<string, Gateway>();
  private gatewayOf(url: string): Gateway {
    let gateway = this.others.get(url);
    if (gateway === undefined) {
      gateway = this.context.gateway.at(url);
      this.others.set(url, gateway);
    }
    return gateway;
  }

  private row(state: MemberState, localId: string): HTMLElement {
    const s = state.status;
    const errors = s?.errors ?? [];
    const health = state.error ? 'unreachable' : errors.length ? 'unhealthy' : s?.leader && s.leader !== '0' ? 'healthy' : 'no leader';
    const role = state.member.isLearner ? 'learner' : s?.leader === state.member.ID ? 'leader' : s ? 'follower' : '?';
    const defrag = this.context.readOnly || state.error ? null : h('button', { type: 'button', onclick: () => void this.defragment(state.member, localId) }, 'Defragment');
    return h(
      'tr',
      { 'data-member': state.member.name ?? state.member.ID, 'data-health': health, class: health === 'healthy' ? '' : 'bad' },
      h('td', {}, state.member.name || '(unstarted)', state.member.ID === localId ? h('small', { class: 'muted' }, ' (this member)') : null),
      h('td', { class: 'mono' }, BigInt(state.member.ID).toString(16)),
      h('td', { class: `health ${health === 'healthy' ? 'good' : 'bad'}`, title: state.error ?? errors.join('; ') }, health),
      h('td', {}, role === 'leader' ? h('strong', { 'data-test': 'leader-mark' }, '★ leader') : role),
      h('td', {}, s?.raftTerm ?? '–'),
      h('td', {}, s?.raftIndex ?? '–'),
      h('td', {}, s?.raftAppliedIndex ?? '–'),
      h('td', {}, s ? formatBytes(Number(s.dbSize ?? 0)) : '–'),
      h('td', {}, s ? formatBytes(Number(s.dbSizeInUse ?? 0)) : '–'),
      h('td', {}, s?.version ?? '–'),
      h('td', { class: 'mono' }, (state.member.clientURLs ?? []).join(' ')),
      h('td', {}, defrag),
    );
  }

  private drawCharts(): void {
    const boxes = CHARTS.map((chart) =>
      lineChart(
        chart.title,
        chart.unit,
        chart.series.map((series) => ({ name: series.name, points: this.metrics.series.get(`${chart.id}/${series.name}`) ?? [] })),
        150,
      ),
    );
    replaceChildren(this.charts, ...boxes, this.metrics.lastError ? h('p', { class: 'error' }, this.metrics.lastError) : null);
  }

  private async compact(): Promise<void> {
    try {
      const revision = (await status(this.context.gateway)).header.revision ?? '0';
      await this.context.gateway.post('/v3/kv/compaction', { revision, physical: true });
      this.context.notify(`Compacted up to revision ${revision}`);
    } catch (error) {
      this.context.notify(describeError(error), 'error');
    }
  }

  private async defragment(member: Member, localId: string): Promise<void> {
    const gateway = member.ID === localId ? this.context.gateway : this.gatewayOf(member.clientURLs?.[0] ?? '');
    try {
      await gateway.post('/v3/maintenance/defragment', {}, { timeoutMs: 120_000 });
      this.context.notify(`Defragmented ${member.name}`);
      void this.refresh();
    } catch (error) {
      this.context.notify(describeError(error), 'error');
    }
  }

  private async snapshot(): Promise<void> {
    const parts: BlobPart[] = [];
    const abort = new AbortController();
    try {
      this.context.notify('Taking a snapshot…');
      await this.context.gateway.stream('/v3/maintenance/snapshot', {}, (message) => parts.push(fromBase64((message as { blob?: string }).blob).slice().buffer as ArrayBuffer), abort.signal);
      const url = URL.createObjectURL(new Blob(parts, { type: 'application/octet-stream' }));
      const link = h('a', { href: url, download: `snapshot-${new Date().toISOString().replaceAll(':', '-')}.db` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.context.notify('Snapshot downloaded.');
    } catch (error) {
      this.context.notify(describeError(error), 'error');
    }
  }
}

function tile(label: string, value: string, kind = ''): HTMLElement {
  return h('div', { class: `tile ${kind}` }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
}
