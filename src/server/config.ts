// Member configuration from etcd's command-line flags and ETCD_* environment
// variables, with etcd's names, syntax and defaults. Flags win over the
// environment, as in etcd; an unknown flag is an error.

import { parseCompactionRetention } from './compactor.js';
import { isLogLevel, type LogLevel } from '../pkg/logger.js';
import type * as tls from 'node:tls';
import { availableParallelism } from 'node:os';
import { FLAGS } from './config-flags.js';
import { ConfigFileError, loadConfigFile } from './config-file.js';
import { emptyTlsInfo, type TlsInfo } from '../tls/tls-info.js';
import { openSslCipherList, UnknownCipherSuiteError } from '../tls/cipher-suites.js';

export const ETCD_API_VERSION = '3.5.0';
export const ETCD_CLUSTER_VERSION = '3.5.0';

export interface MemberConfig {
  name: string;
  dataDir: string;
  walDir: string;
  listenClientUrls: URL[];
  advertiseClientUrls: URL[];
  listenPeerUrls: URL[];
  initialAdvertisePeerUrls: URL[];
  initialCluster: Map<string, URL[]>;
  initialClusterState: 'new' | 'existing';
  initialClusterToken: string;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  snapshotCount: number;
  /** Entries kept in memory behind a snapshot, so slow followers catch up from the log. */
  snapshotCatchUpEntries: number;
  maxRequestBytes: number;
  maxTxnOps: number;
  quotaBackendBytes: number;
  /** --auto-compaction-mode: 'periodic' or 'revision'. */
  autoCompactionMode: 'periodic' | 'revision';
  /** --auto-compaction-retention: a period in ms (periodic) or a number of revisions (revision); 0: off. */
  autoCompactionRetention: number;
  /** --listen-metrics-urls: extra listeners for /metrics and the health endpoints. */
  listenMetricsUrls: URL[];
  /** --metrics: 'extensive' adds grpc_server_handling_seconds (etcd treats any other value as basic). */
  metricsLevel: 'basic' | 'extensive';
  /** --dashboard: the web dashboard at /ui/ (etcd-ts). */
  dashboard: boolean;
  /** --dashboard-read-only: the dashboard hides editing (and its own listeners refuse gateway writes). */
  dashboardReadOnly: boolean;
  /** --listen-dashboard-urls: the dashboard is served only on these, not on the client URLs. */
  listenDashboardUrls: URL[];
  /** --client-transport-threads: 0 serves clients on the member's thread, 1 on a thread of their own (src/api/front/). */
  clientTransportThreads: 0 | 1;
  logLevel: LogLevel;
  watchProgressNotifyIntervalMs: number;
  enableLeaseCheckpoint: boolean;
  leaseCheckpointIntervalMs: number;
  /** The longest an applied write waits in memory before its backend commit. */
  backendBatchIntervalMs: number;
  /** A backend batch holding this many writes commits at once. */
  backendBatchLimit: number;
  /** --enable-v2 was asked for: the v2 API is not served, which start-up says in one line. */
  v2Requested: boolean;
  /** Client port TLS (--cert-file...); with --auto-tls the generated certificate is filled in at start. */
  clientTls: TlsInfo;
  clientAutoTls: boolean;
  /** Peer port TLS (--peer-cert-file...); with --peer-auto-tls filled in at start. */
  peerTls: TlsInfo;
  peerAutoTls: boolean;
  /** Validity of generated certificates, in years. */
  selfSignedCertValidityYears: number;
  strictReconfigCheck: boolean;
  forceNewCluster: boolean;
  initialCorruptCheck: boolean;
  /** --experimental-corrupt-check-time: interval of the leader's periodic hash check; 0 = off. */
  corruptCheckTimeMs: number;
  maxConcurrentStreams: number;
  /** --auth-token: "simple" or "jwt,pub-key=...,priv-key=...,sign-method=...,ttl=...". */
  authToken: string;
  authTokenTtlSeconds: number;
  bcryptCost: number;
  /** Where the audit log goes ('' for none): --audit-log-path, or <data-dir>/audit.log with --enable-audit. */
  auditLogPath: string;
  /** --experimental-warning-apply-duration: applies slower than this are logged and counted. */
  warningApplyDurationMs: number;
  /** --log-outputs: 'stderr', 'stdout' or file paths ('default' is stderr). */
  logOutputs: string[];
  /** --backup-dir ('' for no scheduled backups), --backup-interval, --backup-retention, --backup-encryption-key-file. */
  backupDir: string;
  backupIntervalMs: number;
  backupRetention: number;
  backupEncryptionKeyFile: string;
}

/**
 * etcd's ReqTimeout: how long a request waits for its proposal to apply (and
 * a follower for the leader's answer) before it gets "request timed out".
 */
export function requestTimeoutMs(config: Pick<MemberConfig, 'electionTimeoutMs'>): number {
  return 5000 + 2 * config.electionTimeoutMs;
}

/** etcd's defaults when --backend-batch-interval / --backend-batch-limit are left at zero. */
export const DEFAULT_BACKEND_BATCH_INTERVAL_MS = 100;
export const DEFAULT_BACKEND_BATCH_LIMIT = 10_000;

export class ConfigError extends Error {}

export type FlagValues = Record<string, string>;

export interface ParsedCommandLine {
  values: FlagValues;
  /** Names set explicitly by a flag or an environment variable. */
  explicitlySet: Set<string>;
  warnings: string[];
}

function envName(flag: string): string {
  return 'ETCD_' + flag.toUpperCase().replaceAll('-', '_');
}

/** Go's flag syntax: -flag, --flag, -flag=value, --flag value; bools take no separate value. */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  const values: FlagValues = {};
  const explicitlySet = new Set<string>();
  const warnings: string[] = [];
  const fromFlags = new Set<string>();

  for (let position = 0; position < argv.length; position++) {
    const argument = argv[position]!;
    if (!argument.startsWith('-') || argument === '-' || argument === '--') {
      throw new ConfigError(`'${argument}' is not a valid flag`);
    }
    const body = argument.replace(/^--?/, '');
    const equals = body.indexOf('=');
    const name = equals >= 0 ? body.slice(0, equals) : body;
    const spec = FLAGS[name];
    if (!spec) throw new ConfigError(`flag provided but not defined: -${name}`);
    let value: string;
    if (equals >= 0) value = body.slice(equals + 1);
    else if (spec.kind === 'bool') value = 'true';
    else {
      const next = argv[position + 1];
      if (next === undefined) throw new ConfigError(`flag needs an argument: -${name}`);
      value = next;
      position++;
    }
    values[name] = value;
    fromFlags.add(name);
    explicitlySet.add(name);
  }

  for (const name of Object.keys(FLAGS)) {
    const fromEnv = env[envName(name)];
    if (fromEnv === undefined) continue;
    if (fromFlags.has(name)) {
      warnings.push(`conflicting environment variable "${envName(name)}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`);
      continue;
    }
    values[name] = fromEnv;
    explicitlySet.add(name);
  }
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith('ETCD_')) continue;
    const known = Object.keys(FLAGS).some((name) => envName(name) === variable);
    if (!known && !IGNORED_ENV.has(variable)) warnings.push(`unrecognized environment variable ${variable}=${env[variable]}`);
  }
  for (const [name, spec] of Object.entries(FLAGS)) if (!(name in values)) values[name] = spec.defaultValue;
  return { values, explicitlySet, warnings };
}

// Settings of etcd's config file for features etcd-ts does not have (proxy
// mode, discovery): ignored when they hold etcd's "off" values, refused otherwise.
const UNSUPPORTED_FILE_SETTINGS: Record<string, (value: string) => boolean> = {
  proxy: (value) => value === '' || value === 'off' || value === 'false',
  'discovery-fallback': () => true,
  'proxy-failure-wait': () => true,
  'proxy-refresh-interval': () => true,
  'proxy-dial-timeout': () => true,
  'proxy-write-timeout': () => true,
  'proxy-read-timeout': () => true,
  discovery: (value) => value === '',
  'discovery-srv': (value) => value === '',
  'discovery-srv-name': (value) => value === '',
  'discovery-proxy': (value) => value === '',
};

/**
 * etcd's --config-file (or ETCD_CONFIG_FILE): the YAML file's settings
 * replace the command line and the environment entirely, as in etcd.
 * Returns `parsed` unchanged when no file is named.
 */
export function applyConfigFile(parsed: ParsedCommandLine): ParsedCommandLine {
  const path = parsed.values['config-file'];
  if (!path) return parsed;
  let loaded;
  try {
    loaded = loadConfigFile(path);
  } catch (error) {
    if (error instanceof ConfigFileError) throw new ConfigError(error.message);
    throw error;
  }
  const values: FlagValues = {};
  const explicitlySet = new Set<string>(['config-file']);
  const warnings = [...parsed.warnings];
  if (parsed.explicitlySet.size > 1) warnings.push(`using the configuration file ${path}; other flags and ETCD_* environment variables are ignored`);
  for (const [name, value] of Object.entries(loaded.values)) {
    const unsupported = UNSUPPORTED_FILE_SETTINGS[name];
    if (unsupported !== undefined) {
      if (!unsupported(value)) throw new ConfigError(`config file ${path}: "${name}: ${value}" is not supported by etcd-ts`);
      continue;
    }
    if (FLAGS[name] === undefined) {
      warnings.push(`config file ${path}: setting "${name}" is not supported by etcd-ts; ignored`);
      continue;
    }
    values[name] = value;
    explicitlySet.add(name);
  }
  for (const key of loaded.ignoredKeys) warnings.push(`config file ${path}: unknown setting "${key}" ignored`);
  for (const [name, spec] of Object.entries(FLAGS)) if (!(name in values)) values[name] = spec.defaultValue;
  values['config-file'] = path;
  return { values, explicitlySet, warnings };
}

// Variables etcdctl and test harnesses commonly export; they are not server flags.
const IGNORED_ENV = new Set(['ETCD_UNSUPPORTED_ARCH', 'ETCDCTL_API']);

export function parseUrls(flag: string, text: string): URL[] {
  const urls: URL[] = [];
  for (const part of text.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new ConfigError(`invalid value "${text}" for flag -${flag}: parse "${trimmed}": invalid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'unix:' && url.protocol !== 'unixs:') {
      throw new ConfigError(`invalid value "${text}" for flag -${flag}: URL scheme must be http, https, unix, or unixs: ${trimmed}`);
    }
    if (url.protocol.startsWith('http') && url.port === '') {
      throw new ConfigError(`invalid value "${text}" for flag -${flag}: URL address does not have the form "host:port": ${trimmed}`);
    }
    urls.push(url);
  }
  return urls;
}

/** 'auto' is one thread where there is a second core to run it. More than one needs SO_REUSEPORT (Node 22.12). */
function parseTransportThreads(text: string): 0 | 1 {
  if (text === 'auto') return availableParallelism() > 1 ? 1 : 0;
  if (text === '0' || text === '1') return Number(text) as 0 | 1;
  throw new ConfigError(`invalid value "${text}" for flag -client-transport-threads: expected auto, 0 or 1`);
}

function parseBool(flag: string, text: string): boolean {
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(text)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(text)) return false;
  throw new ConfigError(`invalid boolean value "${text}" for -${flag}: parse error`);
}

/** Go's Int64 flag: negative values too (--quota-backend-bytes=-1 disables the quota). */
function parseInt64(flag: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text) || BigInt(text) < -(2n ** 63n) || BigInt(text) >= 2n ** 63n) throw new ConfigError(`invalid value "${text}" for flag -${flag}: parse error`);
  return Number(text);
}

function parseUint(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new ConfigError(`invalid value "${text}" for flag -${flag}: parse error`);
  return Number(text);
}

/** Go duration syntax ("10m", "1h30m", "500ms") to milliseconds. */
export function parseDurationMs(flag: string, text: string): number {
  if (text === '0') return 0;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const pattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    total += Number(match[1]) * unitMs[match[2]!]!;
    consumed = pattern.lastIndex;
  }
  if (consumed !== text.length || text.length === 0) throw new ConfigError(`invalid value "${text}" for flag -${flag}: parse error`);
  return total;
}

function parseInitialCluster(text: string): Map<string, URL[]> {
  const cluster = new Map<string, URL[]>();
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const equals = part.indexOf('=');
    if (equals <= 0) throw new ConfigError(`invalid value "${text}" for flag -initial-cluster: missing '=' in ${part}`);
    const name = part.slice(0, equals).trim();
    const urls = parseUrls('initial-cluster', part.slice(equals + 1));
    cluster.set(name, [...(cluster.get(name) ?? []), ...urls]);
  }
  return cluster;
}

export function buildMemberConfig(values: FlagValues): MemberConfig {
  const name = values['name']!;
  const dataDir = values['data-dir'] || `${name}.etcd`;
  const initialAdvertisePeerUrls = parseUrls('initial-advertise-peer-urls', values['initial-advertise-peer-urls']!);
  const initialClusterText = values['initial-cluster'] || `${name}=${initialAdvertisePeerUrls.map((url) => url.href.replace(/\/$/, '')).join(`,${name}=`)}`;
  const initialClusterState = values['initial-cluster-state'];
  if (initialClusterState !== 'new' && initialClusterState !== 'existing') {
    throw new ConfigError(`invalid value "${initialClusterState}" for flag -initial-cluster-state: valid values are "new", "existing"`);
  }
  const logLevel = parseBool('debug', values['debug'] ?? 'false') ? 'debug' : values['log-level']!;
  if (!isLogLevel(logLevel)) throw new ConfigError(`unknown log level "${logLevel}"`);
  const heartbeatIntervalMs = parseUint('heartbeat-interval', values['heartbeat-interval']!);
  const electionTimeoutMs = parseUint('election-timeout', values['election-timeout']!);
  if (heartbeatIntervalMs === 0) throw new ConfigError('--heartbeat-interval must be >0 (set to 0ms)');
  if (5 * heartbeatIntervalMs > electionTimeoutMs) {
    throw new ConfigError(`--election-timeout[${electionTimeoutMs}ms] should be at least as 5 times as --heartbeat-interval[${heartbeatIntervalMs}ms]`);
  }
  const config: MemberConfig = {
    name,
    dataDir,
    walDir: values['wal-dir'] || '',
    listenClientUrls: parseUrls('listen-client-urls', values['listen-client-urls']!),
    advertiseClientUrls: parseUrls('advertise-client-urls', values['advertise-client-urls']!),
    listenPeerUrls: parseUrls('listen-peer-urls', values['listen-peer-urls']!),
    initialAdvertisePeerUrls,
    initialCluster: parseInitialCluster(initialClusterText),
    initialClusterState,
    initialClusterToken: values['initial-cluster-token']!,
    heartbeatIntervalMs,
    electionTimeoutMs,
    snapshotCount: parseUint('snapshot-count', values['snapshot-count']!),
    snapshotCatchUpEntries: parseUint('experimental-snapshot-catchup-entries', values['experimental-snapshot-catchup-entries']!),
    maxRequestBytes: parseUint('max-request-bytes', values['max-request-bytes']!),
    maxTxnOps: parseUint('max-txn-ops', values['max-txn-ops']!),
    quotaBackendBytes: parseInt64('quota-backend-bytes', values['quota-backend-bytes']!),
    ...autoCompactionConfig(values['auto-compaction-mode'] || 'periodic', values['auto-compaction-retention'] || '0'),
    listenMetricsUrls: parseUrls('listen-metrics-urls', values['listen-metrics-urls'] ?? ''),
    metricsLevel: values['metrics'] === 'extensive' ? 'extensive' : 'basic',
    dashboard: parseBool('dashboard', values['dashboard'] ?? 'true'),
    dashboardReadOnly: parseBool('dashboard-read-only', values['dashboard-read-only'] ?? 'false'),
    listenDashboardUrls: parseUrls('listen-dashboard-urls', values['listen-dashboard-urls'] ?? ''),
    clientTransportThreads: parseTransportThreads(values['client-transport-threads'] ?? 'auto'),
    logLevel,
    watchProgressNotifyIntervalMs: parseDurationMs('experimental-watch-progress-notify-interval', values['experimental-watch-progress-notify-interval']!),
    enableLeaseCheckpoint: parseBool('experimental-enable-lease-checkpoint', values['experimental-enable-lease-checkpoint']!),
    leaseCheckpointIntervalMs: parseDurationMs('experimental-lease-checkpoint-interval', values['experimental-lease-checkpoint-interval']!),
    backendBatchIntervalMs:
      (values['backend-batch-interval'] ? parseDurationMs('backend-batch-interval', values['backend-batch-interval']) : 0) ||
      DEFAULT_BACKEND_BATCH_INTERVAL_MS,
    backendBatchLimit: parseUint('backend-batch-limit', values['backend-batch-limit']!) || DEFAULT_BACKEND_BATCH_LIMIT,
    v2Requested: parseBool('enable-v2', values['enable-v2']!),
    ...tlsConfig(values),
    strictReconfigCheck: parseBool('strict-reconfig-check', values['strict-reconfig-check']!),
    forceNewCluster: parseBool('force-new-cluster', values['force-new-cluster']!),
    initialCorruptCheck: parseBool('experimental-initial-corrupt-check', values['experimental-initial-corrupt-check']!),
    corruptCheckTimeMs: parseDurationMs('experimental-corrupt-check-time', values['experimental-corrupt-check-time'] ?? '0s'),
    maxConcurrentStreams: parseUint('max-concurrent-streams', values['max-concurrent-streams']!),
    ...authConfig(values, dataDir),
    warningApplyDurationMs: parseDurationMs('experimental-warning-apply-duration', values['experimental-warning-apply-duration'] ?? '100ms'),
    logOutputs: parseLogOutputs(values['log-outputs'] || values['log-output'] || 'default'),
    ...backupConfig(values),
  };
  if (values['experimental-enable-v2v3']) {
    throw new ConfigError('--experimental-enable-v2v3: the etcd v2 API is not served by etcd-ts (only the v3 API is)');
  }
  if (!config.initialCluster.has(name)) {
    throw new ConfigError(`couldn't find local name "${name}" in the initial cluster configuration`);
  }
  return config;
}

/** etcd's --log-outputs: a comma-separated list; 'default' (stderr here: no journald) cannot be mixed with others. */
function parseLogOutputs(text: string): string[] {
  const outputs = [...new Set(text.split(',').map((output) => output.trim()).filter((output) => output !== ''))];
  if (outputs.length === 0) return ['stderr'];
  if (outputs.includes('default') && outputs.length > 1) {
    throw new ConfigError(`multi logoutput for "default" is not supported yet`);
  }
  return outputs.map((output) => (output === 'default' ? 'stderr' : output));
}

/** bcrypt's limits, as Go's golang.org/x/crypto/bcrypt checks them. */
const MIN_BCRYPT_COST = 4;
const MAX_BCRYPT_COST = 31;

function authConfig(values: FlagValues, dataDir: string): Pick<MemberConfig, 'authToken' | 'authTokenTtlSeconds' | 'bcryptCost' | 'auditLogPath'> {
  const bcryptCost = parseUint('bcrypt-cost', values['bcrypt-cost'] ?? '10');
  if (bcryptCost < MIN_BCRYPT_COST || bcryptCost > MAX_BCRYPT_COST) {
    throw new ConfigError(`invalid bcrypt-cost: ${bcryptCost} (should be in [${MIN_BCRYPT_COST}, ${MAX_BCRYPT_COST}])`);
  }
  const auditLogPath = values['audit-log-path'] || (parseBool('enable-audit', values['enable-audit'] ?? 'false') ? `${dataDir}/audit.log` : '');
  return {
    authToken: values['auth-token'] || 'simple',
    authTokenTtlSeconds: parseUint('auth-token-ttl', values['auth-token-ttl'] ?? '300'),
    bcryptCost,
    auditLogPath,
  };
}

const TLS_VERSIONS: Record<string, tls.SecureVersion> = { 'TLS1.2': 'TLSv1.2', 'TLS1.3': 'TLSv1.3' };

function parseTlsVersion(flag: string, text: string, whenEmpty: tls.SecureVersion): tls.SecureVersion {
  if (text === '') return whenEmpty;
  const version = TLS_VERSIONS[text];
  if (version === undefined) throw new ConfigError(`invalid value "${text}" for flag -${flag}: unexpected TLS version "${text}" (supported: TLS1.2, TLS1.3)`);
  return version;
}

/** The TLS flags of both ports (files are read and checked at start, not here). */
function tlsConfig(values: FlagValues): Pick<MemberConfig, 'clientTls' | 'clientAutoTls' | 'peerTls' | 'peerAutoTls' | 'selfSignedCertValidityYears'> {
  const cipherSuites = (values['cipher-suites'] ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const minVersion = parseTlsVersion('tls-min-version', values['tls-min-version']!, 'TLSv1.2');
  const maxVersion = parseTlsVersion('tls-max-version', values['tls-max-version']!, 'TLSv1.3');
  if (minVersion === 'TLSv1.3' && maxVersion === 'TLSv1.2') throw new ConfigError('min version (TLS1.3) is greater than max version (TLS1.2)');
  if (cipherSuites.length > 0 && minVersion === 'TLSv1.3') throw new ConfigError('cipher suites cannot be configured when only TLS1.3 is enabled');
  try {
    openSslCipherList(cipherSuites);
  } catch (error) {
    if (error instanceof UnknownCipherSuiteError) throw new ConfigError(error.message);
    throw error;
  }
  const common = { ...emptyTlsInfo(), cipherSuites, minVersion, maxVersion };
  const clientTls: TlsInfo = {
    ...common,
    certFile: values['cert-file']!,
    keyFile: values['key-file']!,
    trustedCaFile: values['trusted-ca-file']!,
    clientCertAuth: parseBool('client-cert-auth', values['client-cert-auth']!),
    crlFile: values['client-crl-file']!,
    allowedHostname: values['client-cert-allowed-hostname']!,
  };
  const peerTls: TlsInfo = {
    ...common,
    certFile: values['peer-cert-file']!,
    keyFile: values['peer-key-file']!,
    trustedCaFile: values['peer-trusted-ca-file']!,
    clientCertAuth: parseBool('peer-client-cert-auth', values['peer-client-cert-auth']!),
    crlFile: values['peer-crl-file']!,
    allowedCn: values['peer-cert-allowed-cn']!,
    allowedHostname: values['peer-cert-allowed-hostname']!,
  };
  if (peerTls.allowedCn !== '' && peerTls.allowedHostname !== '') {
    throw new ConfigError(`AllowedCN and AllowedHostname are mutually exclusive (cn="${peerTls.allowedCn}", hostname="${peerTls.allowedHostname}")`);
  }
  return {
    clientTls,
    clientAutoTls: parseBool('auto-tls', values['auto-tls']!),
    peerTls,
    peerAutoTls: parseBool('peer-auto-tls', values['peer-auto-tls']!),
    selfSignedCertValidityYears: parseUint('self-signed-cert-validity', values['self-signed-cert-validity']!),
  };
}

export function usageText(): string {
  const lines = ['Usage:', '', '  etcd-ts [flags]', '', 'Flags (each also settable as ETCD_<FLAG_NAME>):'];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const shownDefault = spec.kind === 'bool' ? '' : ` (default '${spec.defaultValue}')`;
    lines.push(`  --${name}`, `      ${spec.help}${spec.defaultValue ? shownDefault : ''}`);
  }
  return lines.join('\n') + '\n';
}

/** etcd's checks of --auto-compaction-mode and parseCompactionRetention. */
function autoCompactionConfig(mode: string, retention: string): Pick<MemberConfig, 'autoCompactionMode' | 'autoCompactionRetention'> {
  if (mode !== 'periodic' && mode !== 'revision') throw new ConfigError(`unknown auto-compaction-mode "${mode}"`);
  try {
    return { autoCompactionMode: mode, autoCompactionRetention: parseCompactionRetention(mode, retention) };
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** The scheduled backup flags (etcd-ts); the key file is read at start (src/api/member-backups.ts). */
function backupConfig(values: FlagValues): Pick<MemberConfig, 'backupDir' | 'backupIntervalMs' | 'backupRetention' | 'backupEncryptionKeyFile'> {
  const backupDir = values['backup-dir'] ?? '';
  const backupEncryptionKeyFile = values['backup-encryption-key-file'] ?? '';
  const backupIntervalMs = parseDurationMs('backup-interval', values['backup-interval'] || '1h');
  const backupRetention = parseUint('backup-retention', values['backup-retention'] || '24');
  if (backupDir !== '') {
    if (backupIntervalMs < 1000) throw new ConfigError(`--backup-interval must be at least 1s (set to ${values['backup-interval']})`);
    if (backupRetention < 1) throw new ConfigError('--backup-retention must be at least 1');
  } else if (backupEncryptionKeyFile !== '') {
    throw new ConfigError('--backup-encryption-key-file needs --backup-dir');
  }
  return { backupDir, backupIntervalMs, backupRetention, backupEncryptionKeyFile };
}
