// etcd's JWT tokens (server/auth/jwt.go and options.go): a compact JWS whose
// claims are {"exp", "revision", "username"}, signed with a key every member
// holds, so a token from one member is accepted by all of them (and by etcd
// configured with the same key). Signing and checking use node:crypto
// synchronously: `info` runs on every request.
//
// Options (after "jwt," in --auth-token):
//   sign-method  required: RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384
//                ES512 EdDSA HS256 HS384 HS512
//   pub-key      PEM file: a public key (PKIX, or PKCS#1 for RSA) or a certificate
//   priv-key     PEM file: a private key (PKCS#8, PKCS#1 for RSA, SEC1 for EC);
//                for HS* the file's raw bytes are the shared secret
//   ttl          Go duration (5m, 300s, 1h30m); default 5m
// With only pub-key the provider checks tokens but cannot issue them.
//
// Where we are stricter than etcd: a token must carry a numeric `exp` (etcd's
// tokens always do); a key of the wrong curve or too small for the method is
// refused at startup rather than on the first Authenticate.

import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../pkg/logger.js';
import type { AuthInfo, TokenProvider } from '../types.js';
import { redactToken, TokenError, TokenErrorMessage } from './token-provider.js';

type Family = 'rsa' | 'pss' | 'ec' | 'ed' | 'hmac';
interface Method {
  alg: string;
  family: Family;
  /** Digest for node:crypto; null for EdDSA. */
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** EC: the curve node names and the JWS signature length (r || s). */
  curve?: string;
  curveName?: string;
  signatureBytes?: number;
}

const METHODS: ReadonlyMap<string, Method> = new Map(
  (
    [
      { alg: 'RS256', family: 'rsa', hash: 'sha256' },
      { alg: 'RS384', family: 'rsa', hash: 'sha384' },
      { alg: 'RS512', family: 'rsa', hash: 'sha512' },
      { alg: 'PS256', family: 'pss', hash: 'sha256' },
      { alg: 'PS384', family: 'pss', hash: 'sha384' },
      { alg: 'PS512', family: 'pss', hash: 'sha512' },
      { alg: 'ES256', family: 'ec', hash: 'sha256', curve: 'prime256v1', curveName: 'P-256', signatureBytes: 64 },
      { alg: 'ES384', family: 'ec', hash: 'sha384', curve: 'secp384r1', curveName: 'P-384', signatureBytes: 96 },
      { alg: 'ES512', family: 'ec', hash: 'sha512', curve: 'secp521r1', curveName: 'P-521', signatureBytes: 132 },
      { alg: 'EdDSA', family: 'ed', hash: null },
      { alg: 'HS256', family: 'hmac', hash: 'sha256' },
      { alg: 'HS384', family: 'hmac', hash: 'sha384' },
      { alg: 'HS512', family: 'hmac', hash: 'sha512' },
    ] satisfies Method[]
  ).map((method) => [method.alg, method]),
);

export const JWT_SIGN_METHODS: readonly string[] = [...METHODS.keys()];

const KNOWN_OPTIONS = new Set(['sign-method', 'pub-key', 'priv-key', 'ttl']);
/** etcd's DefaultTTL. */
export const JWT_DEFAULT_TTL_MS = 5 * 60 * 1000;
/** Longer than any token we issue; refused before any parsing. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

// ---- Go's time.ParseDuration -------------------------------------------------

const UNIT_NANOSECONDS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // µ (micro sign)
  ['\u03bcs', 1_000n], // μ (Greek mu)
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);
const MAX_DURATION_NS = (1n << 63n) - 1n;

/** Go's time.ParseDuration ("1h30m", "300s", "1.5h", "-5m"), in milliseconds; throws Go's error texts. */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  const invalid = () => new Error(`time: invalid duration ${quoted}`);
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let totalNs = 0n;
  while (rest !== '') {
    const match = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest)!;
    const whole = match[1]!;
    const fraction = match[2];
    if (whole === '' && (fraction === undefined || fraction === '')) throw invalid();
    rest = rest.slice(match[0].length);
    const unitMatch = /^[^0-9.]*/.exec(rest)!;
    const unit = unitMatch[0];
    if (unit === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const scale = UNIT_NANOSECONDS.get(unit);
    if (scale === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    let nanoseconds = BigInt(whole === '' ? '0' : whole) * scale;
    if (fraction) {
      // Go keeps the fraction's digits while they fit and drops the rest.
      const digits = fraction.slice(0, 18);
      nanoseconds += (BigInt(digits) * scale) / 10n ** BigInt(digits.length);
    }
    totalNs += nanoseconds;
    if (totalNs > MAX_DURATION_NS + (negative ? 1n : 0n)) throw invalid();
  }
  const milliseconds = Number(totalNs) / 1e6;
  return negative ? -milliseconds : milliseconds;
}

// ---- keys -----------------------------------------------------------------------

const KEY_MUST_BE_PEM = 'invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key';
const FAMILY_NAME: Record<Exclude<Family, 'hmac'>, string> = { rsa: 'RSA', pss: 'RSA', ec: 'ECDSA', ed: 'Ed25519' };

function pemBlocks(data: Buffer): { label: string; pem: string }[] {
  const text = data.toString('latin1');
  const blocks: { label: string; pem: string }[] = [];
  for (const match of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) {
    blocks.push({ label: match[1]!, pem: match[0] });
  }
  return blocks;
}

function checkKeyType(key: KeyObject, method: Method, which: 'private' | 'public'): void {
  const family = method.family as Exclude<Family, 'hmac'>;
  const expected = family === 'ec' ? 'ec' : family === 'ed' ? 'ed25519' : 'rsa';
  const notValid = `key is not a valid ${FAMILY_NAME[family]} ${which} key`;
  if (key.asymmetricKeyType !== expected) throw new TokenError(notValid);
  if (family === 'ec' && key.asymmetricKeyDetails?.namedCurve !== method.curve) {
    throw new TokenError(`${notValid} for ${method.alg}: it needs a ${method.curveName} key`);
  }
}

function parsePrivateKey(data: Buffer, method: Method): KeyObject {
  const blocks = pemBlocks(data);
  if (blocks.length === 0) throw new TokenError(KEY_MUST_BE_PEM);
  const block = blocks.find((candidate) => candidate.label.endsWith('PRIVATE KEY'));
  const notValid = `key is not a valid ${FAMILY_NAME[method.family as Exclude<Family, 'hmac'>]} private key`;
  if (!block) throw new TokenError(notValid);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.pem, format: 'pem' });
  } catch (error) {
    throw new TokenError(notValid, { cause: error });
  }
  checkKeyType(key, method, 'private');
  return key;
}

function parsePublicKey(data: Buffer, method: Method): KeyObject {
  const blocks = pemBlocks(data);
  if (blocks.length === 0) throw new TokenError(KEY_MUST_BE_PEM);
  // etcd's fixtures pass a certificate as pub-key; a private key there is refused, as etcd does.
  const block = blocks.find((candidate) => ['PUBLIC KEY', 'RSA PUBLIC KEY', 'CERTIFICATE'].includes(candidate.label));
  const notValid = `key is not a valid ${FAMILY_NAME[method.family as Exclude<Family, 'hmac'>]} public key`;
  if (!block) throw new TokenError(notValid);
  let key: KeyObject;
  try {
    key = block.label === 'CERTIFICATE' ? new X509Certificate(block.pem).publicKey : createPublicKey({ key: block.pem, format: 'pem' });
  } catch (error) {
    throw new TokenError(notValid, { cause: error });
  }
  checkKeyType(key, method, 'public');
  return key;
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}

// ---- signatures ---------------------------------------------------------------------

type SigningKey = { kind: 'asymmetric'; privateKey: KeyObject | undefined; publicKey: KeyObject } | { kind: 'hmac'; secret: Buffer };

function signBytes(method: Method, key: SigningKey, input: Buffer): Buffer {
  if (key.kind === 'hmac') return createHmac(method.hash!, key.secret).update(input).digest();
  const privateKey = key.privateKey!;
  switch (method.family) {
    case 'rsa':
      return cryptoSign(method.hash, input, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
    case 'pss':
      return cryptoSign(method.hash, input, {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    case 'ec':
      return cryptoSign(method.hash, input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    default:
      return cryptoSign(null, input, privateKey);
  }
}

function verifyBytes(method: Method, key: SigningKey, input: Buffer, signature: Buffer): boolean {
  if (key.kind === 'hmac') {
    const expected = createHmac(method.hash!, key.secret).update(input).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  const publicKey = key.publicKey;
  switch (method.family) {
    case 'rsa':
      return cryptoVerify(method.hash, input, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
    case 'pss':
      // As golang-jwt: any salt length is accepted when checking.
      return cryptoVerify(
        method.hash,
        input,
        { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        signature,
      );
    case 'ec':
      if (signature.length !== method.signatureBytes) return false;
      return cryptoVerify(method.hash, input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    default:
      return cryptoVerify(null, input, publicKey, signature);
  }
}

/** JSON as Go's encoding/json writes it (<, >, &, U+2028 and U+2029 escaped), so our tokens look like etcd's. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

class InvalidToken extends Error {}

// ---- the provider -------------------------------------------------------------------

export class JwtTokenProvider implements TokenProvider {
  private readonly encodedHeader: string;
  private readonly verifiedTokens = new Map<string, VerifiedToken>();

  constructor(
    private readonly method: Method,
    private readonly key: SigningKey,
    /** Token lifetime in ms (etcd's `ttl` option). */
    readonly ttlMs: number,
    readonly verifyOnly: boolean,
    private readonly logger: Logger,
    private readonly clock: { nowMs(): number },
  ) {
    this.encodedHeader = Buffer.from(goJson({ alg: method.alg, typ: 'JWT' })).toString('base64url');
  }

  get signMethod(): string {
    return this.method.alg;
  }

  enable(): void {}
  disable(): void {}
  invalidateUser(): void {}
  genTokenPrefix(): string {
    return '';
  }
  close(): void {}

  assign(username: string, revision: number): string {
    if (this.verifyOnly) throw new TokenError(TokenErrorMessage.verifyOnly);
    const exp = Math.floor((this.clock.nowMs() + this.ttlMs) / 1000);
    // Go's MapClaims marshal with sorted keys.
    const payload = Buffer.from(goJson({ exp, revision, username })).toString('base64url');
    const signingInput = `${this.encodedHeader}.${payload}`;
    const signature = signBytes(this.method, this.key, Buffer.from(signingInput));
    const token = `${signingInput}.${signature.toString('base64url')}`;
    this.logger.debug('created/assigned a new JWT token', {
      'user-name': username,
      revision,
      'token-fingerprint': redactToken(token),
    });
    return token;
  }

  info(token: string, _currentRevision: number): AuthInfo | undefined {
    // A token already verified needs only its time checked again: a signature
    // check costs more than the request it guards (RSA, ECDSA).
    const verified = this.verifiedTokens.get(token);
    if (verified !== undefined) {
      const nowSeconds = this.clock.nowMs() / 1000;
      if (nowSeconds < verified.expSeconds && nowSeconds >= verified.notBeforeSeconds) return verified.info;
      this.verifiedTokens.delete(token);
    }
    try {
      return this.check(token);
    } catch (error) {
      this.logger.warn('failed to parse a JWT token', { error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  private check(token: string): AuthInfo {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new InvalidToken('token is malformed: token is too long');
    const segments = token.split('.');
    if (segments.length !== 3) throw new InvalidToken('token is malformed: token contains an invalid number of segments');
    const [headerPart, payloadPart, signaturePart] = segments as [string, string, string];
    if (!BASE64URL.test(headerPart) || !BASE64URL.test(payloadPart) || !BASE64URL.test(signaturePart)) {
      throw new InvalidToken('token is malformed: could not base64 decode a segment');
    }
    const header = parseObject(headerPart, 'header');
    if (header.alg !== this.method.alg) throw new InvalidToken('token is unverifiable: invalid signing method');
    const signature = Buffer.from(signaturePart, 'base64url');
    if (!verifyBytes(this.method, this.key, Buffer.from(`${headerPart}.${payloadPart}`), signature)) {
      throw new InvalidToken('token signature is invalid: verification error');
    }
    const claims = parseObject(payloadPart, 'claims');
    const nowSeconds = this.clock.nowMs() / 1000;
    const exp = claims.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new InvalidToken('token has invalid claims: token is missing required claim: exp claim is required');
    if (!(nowSeconds < exp)) throw new InvalidToken('token has invalid claims: token is expired');
    if (claims.nbf !== undefined) {
      if (typeof claims.nbf !== 'number' || !(nowSeconds >= claims.nbf)) throw new InvalidToken('token has invalid claims: token is not valid yet');
    }
    if (typeof claims.username !== 'string') throw new InvalidToken('failed to obtain user claims from jwt token');
    const revision = claims.revision;
    if (typeof revision !== 'number' || !Number.isFinite(revision) || revision < 0) {
      throw new InvalidToken('failed to obtain revision claims from jwt token');
    }
    const info = { username: claims.username, revision: Math.floor(revision) };
    this.remember(token, { info, expSeconds: exp, notBeforeSeconds: typeof claims.nbf === 'number' ? claims.nbf : -Infinity });
    return info;
  }

  /** Bounded: the oldest verified token is forgotten first (and simply verified again if it comes back). */
  private remember(token: string, entry: VerifiedToken): void {
    if (this.verifiedTokens.size >= MAX_VERIFIED_TOKENS) {
      const oldest = this.verifiedTokens.keys().next().value;
      if (oldest !== undefined) this.verifiedTokens.delete(oldest);
    }
    this.verifiedTokens.set(token, entry);
  }
}

/** A token whose signature and claims were checked, with the times it is valid between. */
interface VerifiedToken {
  info: AuthInfo;
  expSeconds: number;
  notBeforeSeconds: number;
}

const MAX_VERIFIED_TOKENS = 4096;

function parseObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidToken(`token is malformed: could not JSON decode ${what}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidToken(`token is malformed: ${what} is not an object`);
  return value as Record<string, unknown>;
}

/**
 * etcd's newTokenProviderJWT: reads the options and key files. Errors in the
 * options themselves are logged ("problem loading JWT options") and thrown as
 * "auth: invalid auth options" with the detail as `cause`; key errors are
 * thrown as they are (missing key, mismatched keys, unparsable PEM).
 */
export function newJwtTokenProvider(
  options: ReadonlyMap<string, string>,
  context: { logger: Logger; clock?: { nowMs(): number } },
): JwtTokenProvider {
  const { logger } = context;
  let ttlMs = JWT_DEFAULT_TTL_MS;
  let publicKeyData: Buffer | undefined;
  let privateKeyData: Buffer | undefined;
  let method: Method | undefined;
  try {
    const ttl = options.get('ttl') ?? '';
    if (ttl !== '') ttlMs = parseGoDuration(ttl);
    const publicKeyFile = options.get('pub-key') ?? '';
    if (publicKeyFile !== '') publicKeyData = readFileSync(publicKeyFile);
    const privateKeyFile = options.get('priv-key') ?? '';
    if (privateKeyFile !== '') privateKeyData = readFileSync(privateKeyFile);
    method = METHODS.get(options.get('sign-method') ?? '');
    if (!method) throw new TokenError(TokenErrorMessage.invalidAuthMethod);
  } catch (error) {
    logger.error('problem loading JWT options', { error: error instanceof Error ? error.message : String(error) });
    throw new TokenError(TokenErrorMessage.invalidAuthOpts, { cause: error });
  }
  const unknown = [...options.keys()].filter((name) => !KNOWN_OPTIONS.has(name));
  if (unknown.length > 0) logger.warn('unknown JWT options', { keys: unknown });

  let key: SigningKey;
  let verifyOnly = false;
  if (method.family === 'hmac') {
    // etcd: the priv-key file's bytes, as they are, are the shared secret; pub-key is not used.
    if (!privateKeyData || privateKeyData.length === 0) throw new TokenError(TokenErrorMessage.missingKey);
    key = { kind: 'hmac', secret: privateKeyData };
  } else {
    const privateKey = privateKeyData && privateKeyData.length > 0 ? parsePrivateKey(privateKeyData, method) : undefined;
    const publicKey = publicKeyData && publicKeyData.length > 0 ? parsePublicKey(publicKeyData, method) : undefined;
    if (!privateKey) {
      if (!publicKey) throw new TokenError(TokenErrorMessage.missingKey);
      verifyOnly = true;
      key = { kind: 'asymmetric', privateKey: undefined, publicKey };
    } else {
      const derived = createPublicKey(privateKey);
      if (publicKey && !sameKey(publicKey, derived)) throw new TokenError(TokenErrorMessage.keyMismatch);
      key = { kind: 'asymmetric', privateKey, publicKey: derived };
    }
  }

  if (!verifyOnly) {
    // A key that cannot sign with this method (an RSA key too small for PS512, say)
    // is refused now rather than on every Authenticate.
    const probe = Buffer.from('etcd-ts jwt key probe');
    let works = false;
    let cause: unknown;
    try {
      works = verifyBytes(method, key, probe, signBytes(method, key, probe));
    } catch (error) {
      cause = error;
    }
    if (!works) throw new TokenError(`auth: the key cannot sign with ${method.alg}`, { cause });
  }

  return new JwtTokenProvider(method, key, ttlMs, verifyOnly, logger, context.clock ?? { nowMs: () => Date.now() });
}
