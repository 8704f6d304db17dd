// etcd 3.5's health endpoints (server/etcdserver/api/etcdhttp/health.go):
// /health answers {"health":"true","reason":""} (or false with a reason, and
// 503) after checking alarms, the leader and a one-key read; /livez and
// /readyz (etcd 3.5.11+) run named checks and answer "ok" (with each check's
// line under ?verbose), or 503 with the failed checks; ?exclude=NAME skips a
// check, and /livez/NAME, /readyz/NAME run one.

import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HealthSource {
  readonly isLearner: boolean;
  hasLeader(): boolean;
  /** Active alarm names (etcd's AlarmType: 'NOSPACE', 'CORRUPT'). */
  activeAlarms(): string[];
  /** A keys-only read of at most one key as root, as etcd's health checks do. */
  healthRead(serializable: boolean): Promise<void>;
}

export interface HealthCounter {
  countHealth(healthy: boolean): void;
}

type Check = () => Promise<void> | void;

/** Answers /health, /livez and /readyz (and their sub-paths); false for other paths. */
export function healthRoutes(source: HealthSource, counter?: HealthCounter) {
  const livez: Array<[string, Check]> = [['serializable_read', () => source.healthRead(true)]];
  const readyz: Array<[string, Check]> = [
    [
      'data_corruption',
      () => {
        if (source.activeAlarms().includes('CORRUPT')) throw new Error('alarm activated: CORRUPT');
      },
    ],
    ['serializable_read', () => source.healthRead(true)],
    ['linearizable_read', () => source.healthRead(false)],
    [
      'non_learner',
      () => {
        if (source.isLearner) throw new Error('not supported for learner');
      },
    ],
  ];
  const registries = new Map([
    ['/livez', livez],
    ['/readyz', readyz],
  ]);

  return (request: IncomingMessage, response: ServerResponse, path: string, query: URLSearchParams): boolean => {
    if (path === '/health') {
      if (!methodIsGet(request, response)) return true;
      void checkHealth(source, new Set(query.getAll('exclude').filter((name) => name !== '')), query.get('serializable') === 'true').then((health) => {
        counter?.countHealth(health.health === 'true');
        const body = JSON.stringify(health);
        // Go's http.Error for a failure (text/plain and a newline), a sniffed text/plain for success.
        response.writeHead(health.health === 'true' ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        response.end(health.health === 'true' ? body : `${body}\n`);
      });
      return true;
    }
    const slash = path.indexOf('/', 1);
    const root = slash === -1 ? path : path.slice(0, slash);
    const checks = registries.get(root);
    if (checks === undefined) return false;
    let selected: Array<[string, Check]>;
    if (slash === -1) {
      const excluded = new Set(query.getAll('exclude').filter((name) => name !== ''));
      selected = checks.filter(([name]) => !excluded.has(name));
    } else {
      const one = checks.find(([name]) => name === path.slice(slash + 1));
      if (one === undefined) return false;
      selected = [one];
    }
    if (!methodIsGet(request, response)) return true;
    void runChecks(selected).then(({ ok, reason }) => {
      if (!ok) {
        response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        response.end(`${reason}\n`);
        return;
      }
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      response.end(`${query.has('verbose') ? reason : ''}ok\n`);
    });
    return true;
  };
}

async function checkHealth(source: HealthSource, excludedAlarms: ReadonlySet<string>, serializable: boolean): Promise<{ health: string; reason: string }> {
  for (const alarm of source.activeAlarms()) {
    if (excludedAlarms.has(alarm)) continue;
    return { health: 'false', reason: alarm === 'NOSPACE' || alarm === 'CORRUPT' ? `ALARM ${alarm}` : 'ALARM UNKNOWN' };
  }
  if (!serializable && !source.hasLeader()) return { health: 'false', reason: 'RAFT NO LEADER' };
  try {
    await source.healthRead(serializable);
    return { health: 'true', reason: '' };
  } catch (error) {
    return { health: 'false', reason: `RANGE ERROR:${error instanceof Error ? error.message : String(error)}` };
  }
}

async function runChecks(checks: Array<[string, Check]>): Promise<{ ok: boolean; reason: string }> {
  let ok = true;
  let reason = '';
  for (const [name, check] of checks) {
    try {
      await check();
      reason += `[+]${name} ok\n`;
    } catch (error) {
      ok = false;
      reason += `[-]${name} failed: ${error instanceof Error ? error.message : String(error)}\n`;
    }
  }
  return { ok, reason };
}

function methodIsGet(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.method === 'GET') return true;
  response.writeHead(405, { Allow: 'GET', 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  response.end('Method Not Allowed\n');
  return false;
}
