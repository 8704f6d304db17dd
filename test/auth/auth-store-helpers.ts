import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Backend } from '../../src/backend/index.js';
import { AuthStore } from '../../src/auth/auth-store.js';
import { AuthError, type AuthErrorKind } from '../../src/auth/errors.js';
import type { AuthInfo, TokenProvider } from '../../src/auth/types.js';
import { silentLogger, type Logger, type LogFields } from '../../src/pkg/logger.js';

export const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/** A token provider that records what the store asked of it. */
export class FakeTokenProvider implements TokenProvider {
  readonly calls: string[] = [];
  enabled = false;
  readonly tokens = new Map<string, AuthInfo>();

  info(token: string, currentRevision: number): AuthInfo | undefined {
    this.calls.push(`info ${token} ${currentRevision}`);
    return this.enabled ? this.tokens.get(token) : undefined;
  }
  assign(username: string, revision: number, context: { simpleTokenPrefix: string; index: number }): string {
    const token = `${context.simpleTokenPrefix}.${context.index}`;
    this.calls.push(`assign ${username} ${revision} ${token}`);
    this.tokens.set(token, { username, revision });
    return token;
  }
  enable(): void {
    this.calls.push('enable');
    this.enabled = true;
  }
  disable(): void {
    this.calls.push('disable');
    this.enabled = false;
    this.tokens.clear();
  }
  invalidateUser(username: string): void {
    this.calls.push(`invalidateUser ${username}`);
    for (const [token, info] of this.tokens) if (info.username === username) this.tokens.delete(token);
  }
  genTokenPrefix(): string {
    return 'prefix';
  }
  close(): void {
    this.calls.push('close');
  }
}

/** A logger that keeps every line (to check messages and that no secret is logged). */
export class RecordingLogger implements Logger {
  readonly lines: { level: string; msg: string; fields: LogFields }[] = [];
  debug(msg: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'debug', msg, fields });
  }
  info(msg: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'info', msg, fields });
  }
  warn(msg: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'warn', msg, fields });
  }
  error(msg: string, fields: LogFields = {}): void {
    this.lines.push({ level: 'error', msg, fields });
  }
  child(): Logger {
    return this;
  }
}

export interface AuthFixture {
  directory: string;
  backend: Backend;
  store: AuthStore;
  tokens: FakeTokenProvider;
  logger: RecordingLogger;
  /** Commits, closes, and opens backend and store again (same token provider). */
  reopen(): Promise<void>;
}

export const TEST_BCRYPT_COST = 4;

/** Runs `body` with an AuthStore on a Backend in a fresh temporary directory (removed afterwards). */
export function withAuthStore(body: (fixture: AuthFixture) => Promise<void> | void, options: { quiet?: boolean } = {}): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-auth-'));
    const tokens = new FakeTokenProvider();
    const logger = new RecordingLogger();
    const open = (backend: Backend) =>
      AuthStore.open(backend, { logger: options.quiet ? silentLogger : logger, tokenProvider: tokens, bcryptCost: TEST_BCRYPT_COST });
    const backend = Backend.open(directory);
    const fixture: AuthFixture = {
      directory,
      backend,
      store: open(backend),
      tokens,
      logger,
      async reopen() {
        await fixture.backend.close();
        fixture.backend = Backend.open(directory);
        fixture.store = open(fixture.backend);
      },
    };
    try {
      await body(fixture);
    } finally {
      await fixture.backend.close();
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

/** Asserts that `action` throws the AuthError of `kind`. */
export function throwsAuth(action: () => unknown, kind: AuthErrorKind): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof AuthError, `expected an AuthError, got ${String(error)}`);
    assert.equal(error.kind, kind);
    return true;
  });
}

/** Asserts that the promise rejects with the AuthError of `kind`. */
export async function rejectsAuth(promise: Promise<unknown>, kind: AuthErrorKind): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AuthError, `expected an AuthError, got ${String(error)}`);
    assert.equal(error.kind, kind);
    return true;
  });
}

/** Adds user root (password "rootpw") with role root and enables auth, as etcd's tests do. */
export async function enableWithRoot(store: AuthStore): Promise<void> {
  store.userAdd({ name: 'root', hashedPassword: await store.hashPassword('rootpw'), noPassword: false });
  store.roleAdd('root');
  store.userGrantRole('root', 'root');
  store.enable();
}
