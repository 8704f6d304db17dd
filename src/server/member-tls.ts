// The member's TLS on both ports, settled before anything else starts:
// given certificates are read and checked (a bad file is a start-up error
// naming it), generated ones (--auto-tls, --peer-auto-tls) are made or
// reused under <data-dir>/fixtures/{client,peer} as etcd does, and the URL
// schemes are matched against what is configured.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../pkg/logger.js';
import { ensureSelfSignedCertificate } from '../tls/self-signed-cert.js';
import { hasTls, loadTls, type LoadedTls, type TlsInfo } from '../tls/tls-info.js';
import { ConfigError, type MemberConfig } from './config.js';

export interface MemberTls {
  /** For https:// client URLs; undefined when none is served over TLS. */
  client: LoadedTls | undefined;
  /** For the peer port; undefined for plain TCP peers. */
  peer: LoadedTls | undefined;
}

const DAYS_PER_YEAR = 365;

function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'unixs:';
}

/**
 * Validates the TLS configuration and returns what each port uses. Given
 * files are checked first, so nothing is generated into the data dir for a
 * configuration that is refused anyway.
 */
export function setUpMemberTls(config: MemberConfig, logger: Logger): MemberTls {
  const embedLogger = logger.child('embed/etcd.go');
  const secureClientUrls = config.listenClientUrls.filter(isSecureUrl);
  const securePeerUrls = config.listenPeerUrls.filter(isSecureUrl);

  const clientGiven = hasTls(config.clientTls);
  const peerGiven = hasTls(config.peerTls);
  if (config.clientAutoTls && clientGiven) embedLogger.warn('ignoring client auto TLS since certs given');
  if (config.peerAutoTls && peerGiven) embedLogger.warn('ignoring peer auto TLS since certs given');

  let client = secureClientUrls.length > 0 && clientGiven ? loadTls(config.clientTls, 'client') : undefined;
  let peer = securePeerUrls.length > 0 && peerGiven ? loadTls(config.peerTls, 'peer') : undefined;

  if (secureClientUrls.length > 0 && !clientGiven && !config.clientAutoTls) {
    throw new ConfigError(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${secureClientUrls[0]!.href.replace(/\/$/, '')} with HTTPS scheme`);
  }
  if (securePeerUrls.length > 0 && !peerGiven && !config.peerAutoTls) {
    throw new ConfigError(`TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url ${securePeerUrls[0]!.href.replace(/\/$/, '')} with HTTPS scheme`);
  }
  if (secureClientUrls.length === 0 && clientGiven) {
    embedLogger.warn('scheme is HTTP while key and cert files are present; ignoring key and cert files', { 'client-url': config.listenClientUrls[0]?.href });
  }
  if (securePeerUrls.length === 0 && peerGiven) {
    embedLogger.warn('scheme is HTTP while key and cert files are present; ignoring key and cert files', { 'peer-url': config.listenPeerUrls[0]?.href });
  }

  const validityDays = Math.max(1, config.selfSignedCertValidityYears) * DAYS_PER_YEAR;
  if (client === undefined && config.clientAutoTls && !clientGiven && secureClientUrls.length > 0) {
    client = generated(config.clientTls, join(config.dataDir, 'fixtures', 'client'), config.listenClientUrls, validityDays, 'client', embedLogger);
  }
  if (peer === undefined && config.peerAutoTls && !peerGiven && securePeerUrls.length > 0) {
    peer = generated(config.peerTls, join(config.dataDir, 'fixtures', 'peer'), config.listenPeerUrls, validityDays, 'peer', embedLogger);
  }
  return { client, peer };
}

function generated(base: TlsInfo, dir: string, urls: readonly URL[], validityDays: number, side: 'client' | 'peer', logger: Logger): LoadedTls {
  const hosts = urls.map((url) => url.host);
  discardExpired(dir);
  // Members present their peer certificate as clients of each other too.
  const files = ensureSelfSignedCertificate(dir, hosts, { validityDays, extraExtendedKeyUsages: side === 'peer' ? ['clientAuth'] : [] });
  logger.info(files.created ? 'generated self-signed certificate' : 'reusing self-signed certificate', { side, 'cert-file': files.certFile, hosts });
  return loadTls({ ...base, certFile: files.certFile, keyFile: files.keyFile, selfSigned: true }, side);
}

/** A generated certificate past its end is made anew rather than refusing to start. */
function discardExpired(dir: string): void {
  const certFile = join(dir, 'cert.pem');
  try {
    const certificate = new crypto.X509Certificate(fs.readFileSync(certFile));
    if (new Date(certificate.validTo).getTime() > Date.now()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
  }
  fs.rmSync(certFile, { force: true });
  fs.rmSync(join(dir, 'key.pem'), { force: true });
}
