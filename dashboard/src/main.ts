// The dashboard's single page: a header with the views (Keys, Watch, Leases,
// Cluster), the connection banner, a notice line, and a login when auth
// needs one. Read-only mode comes from a meta tag the member fills in.

import { ApiError, Gateway, describeError } from './api.js';
import type { AppContext } from './app-context.js';
import { connection } from './connection.js';
import { h, replaceChildren } from './dom.js';
import { range } from './kv.js';
import { ClusterView } from './views/cluster-view.js';
import { KeysView } from './views/keys-view.js';
import { LeasesView } from './views/leases-view.js';
import { loginView } from './views/login-view.js';
import { WatchView } from './views/watch-view.js';

type ViewName = 'keys' | 'watch' | 'leases' | 'cluster';

interface View {
  element: HTMLElement;
  activate?(): void;
  deactivate?(): void;
}

const readOnly = document.querySelector('meta[name="dashboard-read-only"]')?.getAttribute('content') === 'true';
const gateway = new Gateway('');
const notice = h('div', { class: 'notice-line', 'data-test': 'notice', role: 'status' });
const banner = h('div', { class: 'banner', 'data-test': 'connection-banner', hidden: true }, 'Connection to the member lost. Reconnecting…');
const main = h('main', {});
const nav = h('nav', {});
const userLine = h('span', { class: 'user' });

let noticeTimer: number | undefined;
const context: AppContext = {
  gateway,
  readOnly,
  notify(message, kind = 'info') {
    notice.textContent = message;
    notice.className = `notice-line ${kind}`;
    window.clearTimeout(noticeTimer);
    if (kind === 'info') noticeTimer = window.setTimeout(() => (notice.textContent = ''), 5000);
  },
};

connection.onChange((online) => {
  banner.hidden = online;
  document.body.classList.toggle('offline', !online);
});

const views: Record<ViewName, View> = {
  keys: new KeysView(context),
  watch: new WatchView(context),
  leases: new LeasesView(context),
  cluster: new ClusterView(context),
};
let current: ViewName | undefined;

function show(name: ViewName): void {
  if (current && current !== name) views[current].deactivate?.();
  current = name;
  for (const link of nav.querySelectorAll('a')) link.setAttribute('aria-current', String(link.dataset['view'] === name));
  replaceChildren(main, views[name].element);
  views[name].activate?.();
  if (name === 'keys') void (views.keys as KeysView).refresh();
}

function route(): void {
  const name = (location.hash.slice(1) || 'keys') as ViewName;
  show(name in views ? name : 'keys');
}

async function start(): Promise<void> {
  for (const name of Object.keys(views) as ViewName[]) {
    nav.append(h('a', { href: `#${name}`, 'data-view': name }, name[0]!.toUpperCase() + name.slice(1)));
  }
  document.body.append(
    h('header', {}, h('h1', {}, 'etcd-ts'), nav, h('span', { class: 'spacer' }), readOnly ? h('span', { class: 'badge', 'data-test': 'read-only' }, 'read-only') : null, userLine),
    banner,
    notice,
    main,
  );
  // One read tells whether auth wants a login first.
  try {
    await range(gateway, new Uint8Array([0]), { limit: 1, keysOnly: true, serializable: true });
  } catch (error) {
    if (error instanceof ApiError && error.needsLogin) {
      replaceChildren(main, loginView(gateway, () => loggedIn()));
      return;
    }
    // Permission denied on the root is fine: the user may read only some prefixes.
    if (!(error instanceof ApiError && error.permissionDenied)) context.notify(describeError(error), 'error');
  }
  begin();
}

function loggedIn(): void {
  replaceChildren(
    userLine,
    `user ${gateway.user} `,
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          gateway.logout();
          location.reload();
        },
      },
      'Log out',
    ),
  );
  begin();
}

function begin(): void {
  window.addEventListener('hashchange', route);
  route();
}

void start();
