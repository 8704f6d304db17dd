import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  newTokenProvider,
  parseGoDuration,
  simpleTokenIndex,
  SimpleTokenProvider,
  TokenError,
  TokenErrorMessage,
} from '../../src/auth/tokens/index.js';
import type { TokenProvider } from '../../src/auth/types.js';
import { silentLogger, type Logger } from '../../src/pkg/logger.js';
import { seededRandom } from '../../src/pkg/seeded-random.js';
import { recordingLogger } from '../support/recording-logger.js';

class FakeClock {
  constructor(public currentMs = 1_700_000_000_000) {}
  nowMs(): number {
    return this.currentMs;
  }
  advance(ms: number): void {
    this.currentMs += ms;
  }
}

const capturingLogger = () => recordingLogger();

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

let dir = '';
const file = (name: string) => join(dir, name);
const readKeyFile = (name: string): Buffer => readFileSync(file(name));

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'etcd-ts-tokens-'));
  // Keys in the PEM forms operators have: PKCS#8 / SPKI, PKCS#1 (`openssl genrsa`), SEC1 (`openssl ecparam -genkey`).
  const write = (name: string, pair: { publicKey: KeyObject; privateKey: KeyObject }, privateType: 'pkcs8' | 'pkcs1' | 'sec1' = 'pkcs8') => {
    writeFileSync(file(`${name}.pub`), pair.publicKey.export({ type: privateType === 'pkcs1' ? 'pkcs1' : 'spki', format: 'pem' }));
    writeFileSync(file(`${name}.key`), pair.privateKey.export({ type: privateType, format: 'pem' }));
  };
  write('rsa', generateKeyPairSync('rsa', { modulusLength: 2048 }));
  write('rsa2', generateKeyPairSync('rsa', { modulusLength: 2048 }));
  write('rsa-pkcs1', generateKeyPairSync('rsa', { modulusLength: 2048 }), 'pkcs1');
  write('ec256', generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  write('ec256b', generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  write('ec384', generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'sec1');
  write('ec384b', generateKeyPairSync('ec', { namedCurve: 'P-384' }));
  write('ec521', generateKeyPairSync('ec', { namedCurve: 'P-521' }));
  write('ec521b', generateKeyPairSync('ec', { namedCurve: 'P-521' }));
  write('ed', generateKeyPairSync('ed25519'));
  write('ed2', generateKeyPairSync('ed25519'));
  writeFileSync(file('secret'), randomBytes(32).toString('hex') + '\n');
  writeFileSync(file('secret2'), randomBytes(32).toString('hex') + '\n');
  writeFileSync(file('empty'), '');
});

after(() => rmSync(dir, { recursive: true, force: true }));

function jwt(method: string, keys: { pub?: string; priv?: string }, extra = '', clock = new FakeClock(), logger: Logger = silentLogger): TokenProvider {
  let spec = `jwt,sign-method=${method}`;
  if (keys.pub) spec += `,pub-key=${file(keys.pub)}`;
  if (keys.priv) spec += `,priv-key=${file(keys.priv)}`;
  return newTokenProvider(spec + extra, { ttlSeconds: 300, logger, clock });
}

const context = { simpleTokenPrefix: '', index: 0 };

function throwsMessage(fn: () => unknown, message: string) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TokenError, `expected a TokenError, got ${String(error)}`);
    assert.equal(error.message, message);
    return true;
  });
}

describe('jwt tokens', () => {
  const cases: { method: string; key: string; other: string }[] = [
    { method: 'RS256', key: 'rsa', other: 'rsa2' },
    { method: 'RS384', key: 'rsa', other: 'rsa2' },
    { method: 'RS512', key: 'rsa-pkcs1', other: 'rsa2' },
    { method: 'PS256', key: 'rsa', other: 'rsa2' },
    { method: 'PS384', key: 'rsa', other: 'rsa2' },
    { method: 'PS512', key: 'rsa', other: 'rsa2' },
    { method: 'ES256', key: 'ec256', other: 'ec256b' },
    { method: 'ES384', key: 'ec384', other: 'ec384b' },
    { method: 'ES512', key: 'ec521', other: 'ec521b' },
    { method: 'EdDSA', key: 'ed', other: 'ed2' },
  ];

  for (const { method, key, other } of cases) {
    it(`${method}: round trip, verify-only member, another key refused`, () => {
      const signer = jwt(method, { pub: `${key}.pub`, priv: `${key}.key` });
      const token = signer.assign('alice', 123, context);
      assert.deepEqual(signer.info(token, 999), { username: 'alice', revision: 123 });
      assert.equal(signer.genTokenPrefix(), '');

      const [header, payload] = token.split('.');
      assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: method, typ: 'JWT' });
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      assert.deepEqual(Object.keys(claims), ['exp', 'revision', 'username']);
      assert.equal(claims.exp, Math.floor(1_700_000_000_000 / 1000) + 300);

      // Private key alone signs too.
      const privateOnly = jwt(method, { priv: `${key}.key` });
      assert.deepEqual(privateOnly.info(token, 0), { username: 'alice', revision: 123 });

      // A member with only the public key checks tokens but cannot issue them.
      const verifier = jwt(method, { pub: `${key}.pub` });
      assert.deepEqual(verifier.info(token, 0), { username: 'alice', revision: 123 });
      assert.equal(verifier.info('aaa', 0), undefined);
      throwsMessage(() => verifier.assign('alice', 1, context), TokenErrorMessage.verifyOnly);

      // Signed with another key of the same kind.
      const stranger = jwt(method, { priv: `${other}.key` });
      assert.equal(signer.info(stranger.assign('alice', 123, context), 0), undefined);
      assert.equal(verifier.info(stranger.assign('alice', 123, context), 0), undefined);
    });
  }

  it('takes a certificate as pub-key, and an EC key that openssl writes with its parameters first (etcd\'s fixtures)', () => {
    execFileSync('openssl', ['req', '-x509', '-key', file('rsa.key'), '-subj', '/CN=etcd', '-days', '1', '-out', file('rsa.crt')], { stdio: 'ignore' });
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-out', file('ecparam.key')], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-x509', '-key', file('ecparam.key'), '-subj', '/CN=etcd', '-days', '1', '-out', file('ecparam.crt')], { stdio: 'ignore' });
    assert.match(readKeyFile('ecparam.key').toString(), /^-----BEGIN EC PARAMETERS-----/);
    const rsa = jwt('RS256', { pub: 'rsa.crt', priv: 'rsa.key' });
    assert.deepEqual(jwt('RS256', { pub: 'rsa.crt' }).info(rsa.assign('root', 2, context), 0), { username: 'root', revision: 2 });
    const ec = jwt('ES256', { pub: 'ecparam.crt', priv: 'ecparam.key' });
    assert.deepEqual(jwt('ES256', { pub: 'ecparam.crt' }).info(ec.assign('root', 2, context), 0), { username: 'root', revision: 2 });
    throwsMessage(() => jwt('RS256', { pub: 'rsa.crt', priv: 'rsa2.key' }), TokenErrorMessage.keyMismatch);
  });

  it('HS256/384/512: the priv-key file is the shared secret; another secret is refused', () => {
    for (const method of ['HS256', 'HS384', 'HS512']) {
      const member1 = jwt(method, { priv: 'secret' });
      const member2 = jwt(method, { priv: 'secret' });
      const token = member1.assign('bob', 7, context);
      assert.deepEqual(member2.info(token, 0), { username: 'bob', revision: 7 });
      // The raw bytes, trailing newline included, as etcd reads them.
      const [header, payload, signature] = token.split('.');
      const expected = createHmac(`sha${method.slice(2)}`, Buffer.from(readKeyFile('secret'))).update(`${header}.${payload}`).digest('base64url');
      assert.equal(signature, expected);
      assert.equal(jwt(method, { priv: 'secret2' }).info(token, 0), undefined);
    }
  });

  it('refuses a token from another member\'s key, a tampered payload and a wrong alg', () => {
    const logger = capturingLogger();
    const provider = jwt('RS256', { priv: 'rsa.key' }, '', new FakeClock(), logger);
    const token = provider.assign('alice', 5, context);
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${b64url({ exp: 9_999_999_999, revision: 5, username: 'root' })}.${signature}`;
    assert.equal(provider.info(tampered, 0), undefined);
    // Header rewritten to another alg: refused before any key is used.
    assert.equal(provider.info(`${b64url({ alg: 'RS384', typ: 'JWT' })}.${token.split('.')[1]}.${signature}`, 0), undefined);
    assert.equal(provider.info(`${b64url({ alg: 'none', typ: 'JWT' })}.${token.split('.')[1]}.`, 0), undefined);
    // Signature stripped, truncated, or bytes flipped.
    assert.equal(provider.info(token.slice(0, token.lastIndexOf('.') + 1), 0), undefined);
    assert.equal(provider.info(token.slice(0, -10), 0), undefined);
    assert.ok(logger.lines.some((line) => line.level === 'warn' && line.msg === 'failed to parse a JWT token'));
    assert.ok(logger.lines.every((line) => !JSON.stringify(line).includes(token)), 'a token is never logged');
  });

  it('refuses alg confusion: an HS256 token keyed with the RSA public key', () => {
    const provider = jwt('RS256', { pub: 'rsa.pub', priv: 'rsa.key' });
    const publicPem = readKeyFile('rsa.pub');
    const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ exp: 9_999_999_999, revision: 1, username: 'root' })}`;
    const forged = `${signingInput}.${createHmac('sha256', publicPem).update(signingInput).digest('base64url')}`;
    assert.equal(provider.info(forged, 0), undefined);
    // Even with the header claiming RS256, an HMAC is no RSA signature.
    const signingInput2 = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({ exp: 9_999_999_999, revision: 1, username: 'root' })}`;
    assert.equal(provider.info(`${signingInput2}.${createHmac('sha256', publicPem).update(signingInput2).digest('base64url')}`, 0), undefined);
  });

  it('refuses an expired token (by the injected clock) and honours the ttl option', () => {
    const clock = new FakeClock();
    const provider = jwt('ES256', { priv: 'ec256.key' }, ',ttl=1h30m', clock);
    const token = provider.assign('carol', 9, context);
    clock.advance(90 * 60 * 1000 - 1);
    assert.deepEqual(provider.info(token, 0), { username: 'carol', revision: 9 });
    clock.advance(1);
    assert.equal(provider.info(token, 0), undefined);

    const short = jwt('ES256', { priv: 'ec256.key' }, '', clock); // default 5m
    const token2 = short.assign('carol', 9, context);
    clock.advance(5 * 60 * 1000 - 1);
    assert.ok(short.info(token2, 0));
    clock.advance(1);
    assert.equal(short.info(token2, 0), undefined);
  });

  it('needs exp, a string username and a numeric revision; malformed tokens give undefined, never a throw', () => {
    const provider = jwt('HS256', { priv: 'secret' });
    const secret = Buffer.from(readKeyFile('secret'));
    const make = (claims: unknown, header: unknown = { alg: 'HS256', typ: 'JWT' }) => {
      const input = `${b64url(header)}.${b64url(claims)}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    assert.deepEqual(provider.info(make({ exp: 9_999_999_999, revision: 0, username: '' }), 0), { username: '', revision: 0 });
    assert.equal(provider.info(make({ revision: 1, username: 'x' }), 0), undefined);
    assert.equal(provider.info(make({ exp: '9999999999', revision: 1, username: 'x' }), 0), undefined);
    assert.equal(provider.info(make({ exp: 9_999_999_999, username: 'x' }), 0), undefined);
    assert.equal(provider.info(make({ exp: 9_999_999_999, revision: '1', username: 'x' }), 0), undefined);
    assert.equal(provider.info(make({ exp: 9_999_999_999, revision: 1 }), 0), undefined);
    assert.equal(provider.info(make({ exp: 9_999_999_999, revision: 1, username: 7 }), 0), undefined);
    assert.equal(provider.info(make([1, 2]), 0), undefined);
    assert.equal(provider.info(make('not json'), 0), undefined);
    assert.equal(provider.info(make({ exp: 9_999_999_999, revision: 1, username: 'x', nbf: 9_999_999_000 }), 0), undefined);
    for (const junk of ['', '.', '..', 'a.b.c', 'a.b.c.d', '!!!.###.$$$', 'simple.42', 'x'.repeat(100_000)]) {
      assert.equal(provider.info(junk, 0), undefined);
    }
  });

  it('is a no-op for enable, disable and invalidateUser', () => {
    const provider = jwt('EdDSA', { priv: 'ed.key' });
    const token = provider.assign('dave', 3, context);
    provider.disable();
    provider.invalidateUser('dave');
    provider.enable();
    assert.deepEqual(provider.info(token, 0), { username: 'dave', revision: 3 });
    provider.close();
  });
});

describe('--auth-token values', () => {
  const make = (spec: string, logger: Logger = silentLogger) => newTokenProvider(spec, { ttlSeconds: 300, logger });

  it('accepts simple (the default), an empty value and jwt', () => {
    const logger = capturingLogger();
    assert.ok(make('simple', logger) instanceof SimpleTokenProvider);
    assert.ok(logger.lines.some((line) => line.msg === 'simple token is not cryptographically signed'));
    const nop = make('');
    assert.equal(nop.info('anything', 1), undefined);
    throwsMessage(() => nop.assign('root', 1, context), TokenErrorMessage.authFailed);
    assert.ok(make(`jwt,pub-key=${file('rsa.pub')},priv-key=${file('rsa.key')},sign-method=RS256,ttl=5m`));
  });

  it('warns about unknown jwt options but starts', () => {
    const logger = capturingLogger();
    make(`jwt,priv-key=${file('secret')},sign-method=HS256,colour=blue`, logger);
    assert.deepEqual(logger.lines.find((line) => line.msg === 'unknown JWT options')?.fields, { keys: ['colour'] });
  });

  it('gives etcd\'s errors for bad values', () => {
    const bad: [string, string][] = [
      ['bogus', TokenErrorMessage.invalidAuthOpts],
      ['simple,', TokenErrorMessage.invalidAuthOpts],
      ['jwt,sign-method', TokenErrorMessage.invalidAuthOpts],
      ['jwt,sign-method=RS256=x', TokenErrorMessage.invalidAuthOpts],
      [`jwt,sign-method=RS256,sign-method=RS256,priv-key=${file('rsa.key')}`, TokenErrorMessage.invalidAuthOpts],
      ['jwt', TokenErrorMessage.invalidAuthOpts], // no sign-method
      [`jwt,sign-method=XX256,priv-key=${file('rsa.key')}`, TokenErrorMessage.invalidAuthOpts],
      [`jwt,sign-method=none,priv-key=${file('rsa.key')}`, TokenErrorMessage.invalidAuthOpts],
      [`jwt,sign-method=RS256,priv-key=${file('rsa.key')},ttl=forever`, TokenErrorMessage.invalidAuthOpts],
      [`jwt,sign-method=RS256,priv-key=${file('missing')}`, TokenErrorMessage.invalidAuthOpts],
      [`jwt,sign-method=HS256,pub-key=${file('missing')}`, TokenErrorMessage.invalidAuthOpts],
      ['jwt,sign-method=RS256', TokenErrorMessage.missingKey],
      ['jwt,sign-method=ES256', TokenErrorMessage.missingKey],
      ['jwt,sign-method=HS256', TokenErrorMessage.missingKey],
      [`jwt,sign-method=HS256,pub-key=${file('rsa.pub')}`, TokenErrorMessage.missingKey],
      [`jwt,sign-method=HS256,priv-key=${file('empty')}`, TokenErrorMessage.missingKey],
      [`jwt,sign-method=RS256,pub-key=${file('rsa2.pub')},priv-key=${file('rsa.key')}`, TokenErrorMessage.keyMismatch],
      [`jwt,sign-method=ES256,pub-key=${file('ec256b.pub')},priv-key=${file('ec256.key')}`, TokenErrorMessage.keyMismatch],
      [`jwt,sign-method=EdDSA,pub-key=${file('ed2.pub')},priv-key=${file('ed.key')}`, TokenErrorMessage.keyMismatch],
      [`jwt,sign-method=RS256,pub-key=${file('rsa.key')},priv-key=${file('rsa.key')}`, 'key is not a valid RSA public key'],
      [`jwt,sign-method=RS256,pub-key=${file('rsa.pub')},priv-key=${file('rsa.pub')}`, 'key is not a valid RSA private key'],
      [`jwt,sign-method=RS256,priv-key=${file('ec256.key')}`, 'key is not a valid RSA private key'],
      [`jwt,sign-method=ES256,priv-key=${file('rsa.key')}`, 'key is not a valid ECDSA private key'],
      [`jwt,sign-method=ES256,pub-key=${file('ec256.key')},priv-key=${file('ec256.key')}`, 'key is not a valid ECDSA public key'],
      [`jwt,sign-method=EdDSA,pub-key=${file('ec256.pub')}`, 'key is not a valid Ed25519 public key'],
      [`jwt,sign-method=RS256,priv-key=${file('secret')}`, 'invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key'],
    ];
    for (const [spec, message] of bad) {
      assert.throws(
        () => make(spec),
        (error: unknown) => error instanceof TokenError && error.message === message,
        `${spec} should fail with ${message}`,
      );
    }
    // A P-256 key for ES384 is refused at startup.
    assert.throws(() => make(`jwt,sign-method=ES384,priv-key=${file('ec256.key')}`), /key is not a valid ECDSA private key for ES384/);
  });

  it('logs the detail that etcd hides behind "invalid auth options"', () => {
    const logger = capturingLogger();
    assert.throws(() => make(`jwt,sign-method=XX256,priv-key=${file('rsa.key')}`, logger), (error: unknown) => {
      return error instanceof TokenError && error.cause instanceof Error && error.cause.message === TokenErrorMessage.invalidAuthMethod;
    });
    assert.deepEqual(logger.lines.find((line) => line.msg === 'problem loading JWT options')?.fields, { error: TokenErrorMessage.invalidAuthMethod });
  });

  it('parses Go durations', () => {
    assert.equal(parseGoDuration('5m'), 300_000);
    assert.equal(parseGoDuration('300s'), 300_000);
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('1m0.5s'), 60_500);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.equal(parseGoDuration('1500us'), 1.5);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('-2s'), -2000);
    assert.equal(parseGoDuration('.5s'), 500);
    assert.throws(() => parseGoDuration('forever'), { message: 'time: invalid duration "forever"' });
    assert.throws(() => parseGoDuration('5'), { message: 'time: missing unit in duration "5"' });
    assert.throws(() => parseGoDuration('5d'), { message: 'time: unknown unit "d" in duration "5d"' });
    assert.throws(() => parseGoDuration(''), /invalid duration/);
    assert.throws(() => parseGoDuration('.s'), /invalid duration/);
    assert.throws(() => parseGoDuration('9999999999h'), /invalid duration/);
  });
});

describe('simple tokens', () => {
  const make = (clock: FakeClock, ttlSeconds = 300) =>
    newTokenProvider('simple', { ttlSeconds, logger: silentLogger, clock, random: seededRandom(7), sweepIntervalMs: 0 }) as SimpleTokenProvider;

  it('prefixes are 16 letters; tokens are prefix.index', () => {
    const provider = make(new FakeClock());
    const prefix = provider.genTokenPrefix();
    assert.match(prefix, /^[a-zA-Z]{16}$/);
    assert.notEqual(provider.genTokenPrefix(), prefix);
    assert.match(new SimpleTokenProvider({ ttlSeconds: 1, logger: silentLogger }).genTokenPrefix(), /^[a-zA-Z]{16}$/);
    provider.enable();
    assert.equal(provider.assign('alice', 1, { simpleTokenPrefix: prefix, index: 42 }), `${prefix}.42`);
    assert.equal(simpleTokenIndex(`${prefix}.42`), 42);
    assert.equal(simpleTokenIndex(`${prefix}.4x`), undefined);
    assert.equal(simpleTokenIndex(`a.b.42`), undefined);
    assert.equal(simpleTokenIndex(`${prefix}.-1`), undefined);
    provider.close();
  });

  it('info gives the user at the current revision and refreshes the TTL; unused tokens expire', () => {
    const clock = new FakeClock();
    const provider = make(clock, 10);
    provider.enable();
    const token = provider.assign('alice', 1, { simpleTokenPrefix: 'abcdefghijklmnop', index: 5 });
    const idle = provider.assign('bob', 1, { simpleTokenPrefix: 'ponmlkjihgfedcba', index: 6 });
    assert.deepEqual(provider.info(token, 17), { username: 'alice', revision: 17 });
    for (let i = 0; i < 5; i++) {
      clock.advance(8_000);
      assert.deepEqual(provider.info(token, 18), { username: 'alice', revision: 18 }, 'used within the TTL, it lives on');
    }
    assert.equal(provider.info(idle, 18), undefined, 'unused for 40 s, bob\'s token expired');
    clock.advance(10_000);
    assert.ok(provider.info(token, 18), 'exactly the TTL after the last use: still valid (etcd expires after)');
    clock.advance(10_001);
    provider.sweep();
    assert.equal(provider.tokenCount, 0);
    assert.equal(provider.info(token, 18), undefined);
    assert.equal(provider.info('nosuch.1', 18), undefined);
    provider.close();
  });

  it('the default TTL is 300 s when ttlSeconds is 0', () => {
    const clock = new FakeClock();
    const provider = make(clock, 0);
    provider.enable();
    const token = provider.assign('alice', 1, { simpleTokenPrefix: 'p', index: 1 });
    clock.advance(300_000);
    assert.ok(provider.info(token, 1));
    clock.advance(300_001);
    assert.equal(provider.info(token, 1), undefined);
  });

  it('holds no tokens while disabled; disable forgets them all', () => {
    const clock = new FakeClock();
    const provider = make(clock);
    const early = provider.assign('alice', 1, { simpleTokenPrefix: 'p', index: 1 });
    assert.equal(early, 'p.1');
    assert.equal(provider.info(early, 1), undefined);
    provider.enable();
    assert.equal(provider.info(early, 1), undefined);
    const token = provider.assign('alice', 1, { simpleTokenPrefix: 'p', index: 2 });
    assert.ok(provider.info(token, 1));
    provider.disable();
    assert.equal(provider.info(token, 1), undefined);
    provider.enable();
    assert.equal(provider.info(token, 1), undefined);
    provider.invalidateUser('alice');
  });

  it('invalidateUser drops only that user\'s tokens', () => {
    const provider = make(new FakeClock());
    provider.enable();
    const a1 = provider.assign('alice', 1, { simpleTokenPrefix: 'p', index: 1 });
    const a2 = provider.assign('alice', 1, { simpleTokenPrefix: 'p', index: 2 });
    const b = provider.assign('bob', 1, { simpleTokenPrefix: 'p', index: 3 });
    provider.invalidateUser('alice');
    assert.equal(provider.info(a1, 1), undefined);
    assert.equal(provider.info(a2, 1), undefined);
    assert.deepEqual(provider.info(b, 1), { username: 'bob', revision: 1 });
  });

  it('refuses to hand out one token twice (etcd panics)', () => {
    const provider = make(new FakeClock());
    provider.enable();
    provider.assign('alice', 1, { simpleTokenPrefix: 'p', index: 1 });
    assert.throws(() => provider.assign('bob', 1, { simpleTokenPrefix: 'p', index: 1 }));
  });

  it('sweeps expired tokens on a timer that does not hold the process open, and stops on close', async () => {
    const clock = new FakeClock();
    const provider = new SimpleTokenProvider({ ttlSeconds: 1, logger: silentLogger, clock, sweepIntervalMs: 5 });
    provider.enable();
    provider.assign('alice', 1, { simpleTokenPrefix: 'p', index: 1 });
    clock.advance(1_001);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(provider.tokenCount, 0);
    provider.close();
  });
});
