// The auth modes: an RS256 key pair for --auth-token=jwt (made with
// node:crypto in a temp dir that is removed at the end), the --auth-token
// flag each mode gives both servers, and the etcdctl steps that turn auth on
// before a server's warm-up: users root and bench, a role bench with
// readwrite on the whole keyspace, auth enable, the range key put as root,
// and checks that bench can read it and that a request without a user is
// refused. The Go benchmark then runs as bench (a non-root user, so every
// request goes through the permission check); it authenticates once per
// connection (--conns), while creating its clients, before its clock starts.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, etcdctlOk } from '../../test/support/etcdctl.js';
import type { AuthMode } from './options.js';

/** Lifetime of a JWT; a benchmark process authenticates once per connection at its start, and no case lasts this long. */
export const JWT_TTL = '10m';
export const BENCH_USER = 'bench';
export const BENCH_ROLE = 'bench';

export interface JwtKeys {
  dir: string;
  publicKey: string;
  privateKey: string;
  remove(): void;
}

export function makeJwtKeys(root: string): JwtKeys {
  const dir = mkdtempSync(join(root, 'bench-go-jwt-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const pair = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const publicKey = join(dir, 'jwt.pub');
    const privateKey = join(dir, 'jwt.key');
    writeFileSync(publicKey, pair.publicKey, { mode: 0o600 });
    writeFileSync(privateKey, pair.privateKey, { mode: 0o600 });
    return { dir, publicKey, privateKey, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** The --auth-token flag of a mode, the same for etcd and etcd-ts. */
export function authTokenFlag(mode: AuthMode, keys: JwtKeys | undefined): string {
  if (mode === 'auth-simple') return '--auth-token=simple';
  if (!keys) throw new Error('auth-jwt needs a key pair');
  return `--auth-token=jwt,pub-key=${keys.publicKey},priv-key=${keys.privateKey},sign-method=RS256,ttl=${JWT_TTL}`;
}

export interface AuthCredentials {
  rootPassword: string;
  benchPassword: string;
}

/** Fresh passwords for one run (hex: no ':' that would end etcdctl's user:password). */
export function makeCredentials(): AuthCredentials {
  return { rootPassword: randomBytes(12).toString('hex'), benchPassword: randomBytes(12).toString('hex') };
}

/** `--user=bench:PASSWORD`, for the Go benchmark and etcdctl. */
export function benchUserFlag(credentials: AuthCredentials): string {
  return `--user=${BENCH_USER}:${credentials.benchPassword}`;
}

export function rootUserFlag(credentials: AuthCredentials): string {
  return `--user=root:${credentials.rootPassword}`;
}

/**
 * Turns auth on at `endpoint` and puts `seed` (when given) as root. Every
 * step must succeed; the checks afterwards make sure auth is really on and
 * that bench's permission covers the key.
 */
export async function enableAuth(endpoint: string, credentials: AuthCredentials, seed: { key: string; value: string } | undefined): Promise<void> {
  await etcdctlOk(endpoint, ['user', 'add', `root:${credentials.rootPassword}`]);
  await etcdctlOk(endpoint, ['role', 'add', 'root']);
  await etcdctlOk(endpoint, ['user', 'grant-role', 'root', 'root']);
  await etcdctlOk(endpoint, ['role', 'add', BENCH_ROLE]);
  // The empty key with --from-key: etcdctl sends ["\x00", "\x00"), the whole keyspace.
  await etcdctlOk(endpoint, ['role', 'grant-permission', BENCH_ROLE, 'readwrite', '', '--from-key']);
  await etcdctlOk(endpoint, ['user', 'add', `${BENCH_USER}:${credentials.benchPassword}`]);
  await etcdctlOk(endpoint, ['user', 'grant-role', BENCH_USER, BENCH_ROLE]);
  await etcdctlOk(endpoint, ['auth', 'enable']);
  const probeKey = seed?.key ?? 'bench-go-auth-probe';
  const probeValue = seed?.value ?? 'probe';
  await etcdctlOk(endpoint, [rootUserFlag(credentials), 'put', probeKey, probeValue]);
  const read = await etcdctlOk(endpoint, [benchUserFlag(credentials), 'get', probeKey, '--print-value-only']);
  if (read.trim() !== probeValue) throw new Error(`user ${BENCH_USER} read ${JSON.stringify(read.slice(0, 80))} for ${probeKey} after auth enable, not the value root put`);
  const anonymous = await etcdctl(endpoint, ['get', probeKey]);
  if (anonymous.code === 0) throw new Error(`a get without a user succeeded after auth enable: auth is not on (${anonymous.stdout.slice(0, 200)})`);
  if (!seed) await etcdctlOk(endpoint, [rootUserFlag(credentials), 'del', probeKey]);
}
