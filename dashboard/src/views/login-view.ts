// With auth enabled: an etcd user name and password, authenticated through
// /v3/auth/authenticate; the token then goes with every call, so the user's
// roles decide what the dashboard may read and change.

import { describeError, type Gateway } from '../api.js';
import { h } from '../dom.js';

export function loginView(gateway: Gateway, loggedIn: () => void): HTMLElement {
  const name = h('input', { type: 'text', autocomplete: 'username', 'data-test': 'login-name', required: true });
  const password = h('input', { type: 'password', autocomplete: 'current-password', 'data-test': 'login-password' });
  const message = h('p', { class: 'error', 'data-test': 'login-error' });
  return h(
    'section',
    { class: 'view login-view', 'data-view': 'login' },
    h(
      'form',
      {
        class: 'login',
        onsubmit: async (event: Event) => {
          event.preventDefault();
          message.textContent = '';
          try {
            await gateway.login({ name: name.value, password: password.value });
            loggedIn();
          } catch (error) {
            message.textContent = describeError(error);
          }
        },
      },
      h('h2', {}, 'Log in'),
      h('p', { class: 'muted' }, 'Authentication is enabled on this cluster. Everything the dashboard does runs as this etcd user.'),
      h('label', {}, 'User ', name),
      h('label', {}, 'Password ', password),
      message,
      h('button', { type: 'submit', 'data-test': 'login-submit' }, 'Log in'),
    ),
  );
}
