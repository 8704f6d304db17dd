// The member's JSON gateway (etcd's grpc-gateway routes: POST /v3/..., bytes
// as base64, int64 as strings), as any client uses it. With auth on, the
// token from /v3/auth/authenticate goes in the Authorization header, so RBAC
// applies to everything the dashboard does.

import { connection } from './connection.js';

/** grpc codes the dashboard tells apart. */
export const GRPC_PERMISSION_DENIED = 7;
export const GRPC_UNAUTHENTICATED = 16;

export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  get permissionDenied(): boolean {
    return this.code === GRPC_PERMISSION_DENIED || this.httpStatus === 403;
  }

  /** Auth is on and there is no (valid) token: log in. */
  get needsLogin(): boolean {
    return /user name is empty|invalid auth token|authentication failed|token is expired/.test(this.message) || this.code === GRPC_UNAUTHENTICATED;
  }
}

/** The connection itself failed (member down, network gone). */
export class NetworkError extends Error {}

export interface Credentials {
  name: string;
  password: string;
}

export class Gateway {
  private token: string | undefined;
  private credentials: Credentials | undefined;

  /** `base` is '' for the member serving the page, or another member's client URL. */
  constructor(readonly base = '') {}

  get user(): string | undefined {
    return this.credentials?.name;
  }

  /** Another member's gateway with the same login (simple tokens are per member: it authenticates there itself). */
  at(base: string): Gateway {
    const other = new Gateway(base.replace(/\/$/, ''));
    other.credentials = this.credentials;
    return other;
  }

  async login(credentials: Credentials): Promise<void> {
    const answer = await this.post<{ token?: string }>('/v3/auth/authenticate', credentials, { authenticate: false });
    this.token = answer.token;
    this.credentials = credentials;
  }

  logout(): void {
    this.token = undefined;
    this.credentials = undefined;
  }

  /** One unary call; a stale token is renewed once with the stored login. */
  async post<T>(path: string, body: unknown, options: { authenticate?: boolean; timeoutMs?: number; reportConnection?: boolean } = {}): Promise<T> {
    if (options.authenticate !== false && this.credentials && this.token === undefined) await this.login(this.credentials);
    try {
      return await this.send<T>(path, body, options);
    } catch (error) {
      if (error instanceof ApiError && error.needsLogin && this.credentials && options.authenticate !== false) {
        await this.login(this.credentials);
        return this.send<T>(path, body, options);
      }
      throw error;
    }
  }

  headers(): Record<string, string> {
    return this.token ? { 'Content-Type': 'application/json', Authorization: this.token } : { 'Content-Type': 'application/json' };
  }

  private async send<T>(path: string, body: unknown, options: { timeoutMs?: number; reportConnection?: boolean }): Promise<T> {
    const local = this.base === '' && options.reportConnection !== false;
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      if (local) connection.lost();
      throw new NetworkError(`cannot reach ${this.base || 'the member'}: ${(error as Error).message}`);
    }
    if (local) connection.reached();
    const textBody = await response.text();
    if (!response.ok) throw errorOf(response.status, textBody);
    return JSON.parse(textBody) as T;
  }

  /**
   * A server stream (/v3/watch, /v3/maintenance/snapshot): one `{"result":...}`
   * line per message. Resolves when the stream ends; rejects on failure.
   */
  async stream(path: string, body: unknown, onMessage: (message: unknown) => void, signal: AbortSignal): Promise<void> {
    if (this.credentials && this.token === undefined) await this.login(this.credentials);
    let response: Response;
    try {
      response = await fetch(this.base + path, { method: 'POST', headers: this.headers(), body: JSON.stringify(body), signal });
    } catch (error) {
      if (signal.aborted) return;
      throw new NetworkError((error as Error).message);
    }
    if (!response.ok || response.body === null) throw errorOf(response.status, await response.text());
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line === '') continue;
          const parsed = JSON.parse(line) as { result?: unknown; error?: { message?: string; code?: number; http_code?: number } };
          if (parsed.error) throw new ApiError(parsed.error.http_code ?? 500, parsed.error.code ?? 2, parsed.error.message ?? 'stream error');
          onMessage(parsed.result);
        }
      }
    } catch (error) {
      void reader.cancel().catch(() => undefined);
      if (signal.aborted) return;
      if (error instanceof NetworkError || !(error instanceof TypeError)) throw error;
      throw new NetworkError(error.message);
    }
  }
}

function errorOf(status: number, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as { message?: string; error?: string; code?: number };
    return new ApiError(status, parsed.code ?? 2, parsed.message ?? parsed.error ?? body);
  } catch {
    return new ApiError(status, 2, body.trim() || `HTTP ${status}`);
  }
}

/** A readable sentence for any failure, with permission denials called so. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.permissionDenied) return `Permission denied: ${error.message}. Your etcd user's roles do not allow this.`;
    return error.message;
  }
  if (error instanceof NetworkError) return `Connection failed: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
