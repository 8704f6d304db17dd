// etcd's --config-file (etcd 3.4 embed.ConfigFromFile plus etcdmain's proxy
// settings): a YAML file whose keys are the command-line flag names. The file is
// translated into the flag values it stands for, so the caller can feed them to
// the same parser as the command line (with --config-file, etcd ignores every
// other flag and ETCD_* variable).
//
// etcd decodes the file twice with sigs.k8s.io/yaml, into embed's configYAML
// and into etcdmain's configProxy: go-yaml v2 (YAML 1.1 scalars, so yes/no/on/
// off are booleans) produces a generic value, which is converted to JSON and
// decoded by encoding/json. That fixes the rules reproduced here (checked
// against that Go code):
// - keys match the JSON tags exactly or, failing that, case-insensitively;
//   keys matching nothing are ignored (non-strict decoding);
// - null leaves a setting at its default; of two keys naming one setting, the
//   later in byte order wins (json.Marshal sorts map keys);
// - values must have the Go field's type: a number or boolean for a string
//   setting is an error ("cannot unmarshal number into Go struct field
//   configYAML.auto-compaction-retention of type string": configYAML's fields
//   come from embedded structs, so sigs.k8s.io/yaml's number-to-string
//   coercion never applies to them). Only configProxy's proxy and
//   discovery-fallback get that coercion;
// - a time.Duration is an integer count of nanoseconds ("5s" is an error);
// - []string settings must be YAML sequences of strings;
// - NaN or infinity anywhere in the file is an error (JSON cannot hold it).
import { readFileSync } from 'node:fs';
import { parseAllDocuments, type ScalarTag, type Tags } from 'yaml';

export class ConfigFileError extends Error {}

/**
 * How a setting is decoded. 'string' is set as given (even when empty);
 * 'nonempty-string' is a string that etcd only applies when it is not empty
 * (the URL lists, cors, host-whitelist, initial-cluster-state: an empty value
 * keeps the default, unlike `--flag=`); 'proxy-string' is that too, and also
 * takes a number or boolean as its text. Integer kinds are Go's: uint and int
 * are 64-bit.
 */
type ValueKind = 'string' | 'nonempty-string' | 'proxy-string' | 'bool' | 'uint32' | 'uint64' | 'int64' | 'duration' | 'string-list';

/** Top-level keys: the JSON tags of embed.Config, embed.configJSON and etcdmain.configProxy, with their Go types. Each equals its flag name. */
const TOP_LEVEL_SETTINGS: Readonly<Record<string, ValueKind>> = {
  // embed.Config
  name: 'string',
  'data-dir': 'string',
  'wal-dir': 'string',
  'snapshot-count': 'uint64',
  'max-snapshots': 'uint64',
  'max-wals': 'uint64',
  'heartbeat-interval': 'uint64',
  'election-timeout': 'uint64',
  'initial-election-tick-advance': 'bool',
  'backend-batch-interval': 'duration',
  'backend-batch-limit': 'int64',
  'quota-backend-bytes': 'int64',
  'max-txn-ops': 'uint64',
  'max-request-bytes': 'uint64',
  'max-concurrent-streams': 'uint32',
  'cipher-suites': 'string-list',
  'initial-cluster-state': 'nonempty-string',
  'discovery-srv': 'string',
  'discovery-srv-name': 'string',
  'discovery-proxy': 'string',
  discovery: 'string',
  'initial-cluster': 'string',
  'initial-cluster-token': 'string',
  'strict-reconfig-check': 'bool',
  'enable-v2': 'bool',
  'auto-compaction-mode': 'string',
  'auto-compaction-retention': 'string',
  'grpc-keepalive-min-time': 'duration',
  'grpc-keepalive-interval': 'duration',
  'grpc-keepalive-timeout': 'duration',
  'pre-vote': 'bool',
  'auth-token': 'string',
  'bcrypt-cost': 'uint64',
  'auth-token-ttl': 'uint64',
  'audit-log-path': 'string',
  'enable-audit': 'bool',
  'experimental-initial-corrupt-check': 'bool',
  'experimental-corrupt-check-time': 'duration',
  'experimental-enable-v2v3': 'string',
  'experimental-backend-bbolt-freelist-type': 'string',
  'experimental-enable-lease-checkpoint': 'bool',
  'experimental-enable-lease-checkpoint-persist': 'bool',
  'experimental-compaction-batch-limit': 'int64',
  'experimental-watch-progress-notify-interval': 'duration',
  'experimental-warning-apply-duration': 'duration',
  'force-new-cluster': 'bool',
  'enable-pprof': 'bool',
  metrics: 'string',
  'listen-metrics-urls': 'nonempty-string',
  // etcd-ts's web dashboard (not in etcd's file format).
  dashboard: 'bool',
  'dashboard-read-only': 'bool',
  'listen-dashboard-urls': 'nonempty-string',
  'client-transport-threads': 'nonempty-string',
  logger: 'string',
  'log-level': 'string',
  'log-outputs': 'string-list',
  'enable-grpc-gateway': 'bool',
  'log-output': 'string-list',
  debug: 'bool',
  'log-package-levels': 'string',
  'unsafe-no-fsync': 'bool',
  // embed.configJSON
  'listen-peer-urls': 'nonempty-string',
  'listen-client-urls': 'nonempty-string',
  'initial-advertise-peer-urls': 'nonempty-string',
  'advertise-client-urls': 'nonempty-string',
  cors: 'nonempty-string',
  'host-whitelist': 'nonempty-string',
  // etcdmain.configProxy (decoded from the same file by etcdmain)
  'proxy-failure-wait': 'uint64',
  'proxy-refresh-interval': 'uint64',
  'proxy-dial-timeout': 'uint64',
  'proxy-write-timeout': 'uint64',
  'proxy-read-timeout': 'uint64',
  proxy: 'proxy-string',
  'discovery-fallback': 'proxy-string',
};

/**
 * Tags that a case-insensitive key match cannot reach: an untagged Go field
 * earlier in the struct has the same name up to case (Config.CORS before
 * configJSON.CORSJSON `json:"cors"`, configProxy.Proxy before ProxyJSON
 * `json:"proxy"`), so encoding/json picks that field, which this translation
 * does not model. Only the exact spellings 'cors' and 'proxy' set the flags.
 */
const FOLD_SHADOWED_TAGS = new Set(['cors', 'proxy']);

/** embed.securityConfig, the value of client-transport-security and peer-transport-security. etcd 3.4 has no crl-file, allowed-cn or allowed-hostname here. */
const SECURITY_SETTINGS: Readonly<Record<string, ValueKind>> = {
  'cert-file': 'string',
  'key-file': 'string',
  'client-cert-auth': 'bool',
  'trusted-ca-file': 'string',
  'auto-tls': 'bool',
};

/** Flag-name prefix for each security section. */
const SECURITY_SECTIONS: Readonly<Record<string, string>> = {
  'client-transport-security': '',
  'peer-transport-security': 'peer-',
};

const DEFAULT_INITIAL_CLUSTER = 'default=http://localhost:2380';
const DEFAULT_ADVERTISE_CLIENT_URLS = 'http://localhost:2379';

/**
 * Reads etcd's YAML config file and returns flag values keyed by etcd's command-line flag names
 * (e.g. 'listen-client-urls': 'http://localhost:2379', 'cert-file', 'peer-cert-file',
 * 'peer-client-cert-auth': 'true'), as strings exactly as they would be written after `--flag=`
 * on the command line. Settings that are null or absent in the file are omitted (the flag default
 * applies). Two values etcd's file mode defaults differently from its command line are made
 * explicit: advertise-client-urls is 'http://localhost:2379' when the file sets only
 * listen-client-urls, and initial-cluster is dropped when discovery or discovery-srv is set and
 * it equals the built-in default. `ignoredKeys` lists the keys etcd 3.4 ignores (unknown keys,
 * written 'section.key' inside a security section), so the caller can warn.
 * Throws ConfigFileError naming the file for unreadable files or invalid YAML or a value of the
 * wrong type.
 */
export function loadConfigFile(path: string): { values: Record<string, string>; ignoredKeys: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(`cannot read config file ${path}: ${(error as Error).message}`);
  }

  // go-yaml v2 decodes only the first document of the stream.
  const documents = parseAllDocuments(text, {
    version: '1.1',
    uniqueKeys: false,
    customTags: goYamlV2Tags,
  });
  const document = Array.isArray(documents) ? documents[0] : undefined;
  if (document !== undefined && document.errors.length > 0) {
    throw new ConfigFileError(`invalid YAML in config file ${path}: ${document.errors[0]!.message}`);
  }
  let root: unknown;
  try {
    root = document?.toJS({ mapAsMap: true, maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigFileError(`invalid YAML in config file ${path}: ${(error as Error).message}`);
  }

  checkJsonable(root, path);

  const values: Record<string, string> = {};
  // Ignored keys with their [top-level, section] positions in the file, to report them in file order.
  const ignored: Array<{ key: string; at: [number, number] }> = [];
  const fail = (key: string, message: string): never => {
    throw new ConfigFileError(`config file ${path}: invalid value for "${key}": ${message}`);
  };

  if (root === null || root === undefined) return { values, ignoredKeys: [] };
  if (!(root instanceof Map)) {
    throw new ConfigFileError(`config file ${path}: expected a mapping of settings at the top level, got ${describe(root)}`);
  }

  for (const [key, value, position] of sortedEntries(root, path)) {
    const tag = matchTag(key, TOP_LEVEL_SETTINGS);
    if (tag !== undefined) {
      setValue(values, tag, TOP_LEVEL_SETTINGS[tag]!, value, (message) => fail(key, message));
      continue;
    }
    const section = matchTag(key, SECURITY_SECTIONS);
    if (section === undefined) {
      ignored.push({ key, at: [position, -1] });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (!(value instanceof Map)) fail(key, `expected a mapping, got ${describe(value)}`);
    for (const [innerKey, innerValue, innerPosition] of sortedEntries(value as Map<unknown, unknown>, path)) {
      const innerTag = matchTag(innerKey, SECURITY_SETTINGS);
      if (innerTag === undefined) {
        ignored.push({ key: `${key}.${innerKey}`, at: [position, innerPosition] });
        continue;
      }
      const flag = SECURITY_SECTIONS[section]! + innerTag;
      setValue(values, flag, SECURITY_SETTINGS[innerTag]!, innerValue, (message) => fail(`${key}.${innerKey}`, message));
    }
  }

  // embed.configFromFile: a discovery setting clears the built-in initial cluster.
  if ((values['discovery'] || values['discovery-srv']) && values['initial-cluster'] === DEFAULT_INITIAL_CLUSTER) {
    delete values['initial-cluster'];
  }
  // The command line drops the default advertise-client-urls when only
  // listen-client-urls is given; the file keeps it.
  if (values['listen-client-urls'] !== undefined && values['advertise-client-urls'] === undefined) {
    values['advertise-client-urls'] = DEFAULT_ADVERTISE_CLIENT_URLS;
  }

  ignored.sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]);
  return { values, ignoredKeys: ignored.map(({ key }) => key) };
}

/**
 * The YAML 1.1 schema adjusted to what go-yaml v2 resolves when decoding into
 * interface{}: no sexagesimal numbers (1:20 stays a string), timestamps stay
 * strings, a lone '.' is a string rather than NaN, and integers are read as
 * go-yaml reads them (goYamlInt).
 */
function goYamlV2Tags(tags: Tags): Tags {
  const intTag: ScalarTag = {
    identify: (value) => typeof value === 'bigint',
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^[-+]?(?:0[xXoObB][0-9a-fA-F_]*|[0-9][0-9_]*)$/,
    resolve: goYamlInt,
  };
  const floatTag: ScalarTag = {
    identify: (value) => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]*[0-9][0-9_]*)$/,
    resolve: (text) => parseFloat(text.replace(/_/g, '')),
  };
  const result: Tags = [];
  for (const tag of tags) {
    if (typeof tag === 'string') {
      result.push(tag);
    } else if (tag.tag === 'tag:yaml.org,2002:timestamp' || tag.format === 'TIME') {
      continue;
    } else if (tag.tag === 'tag:yaml.org,2002:int') {
      if (!result.includes(intTag)) result.push(intTag);
    } else if (tag.tag === 'tag:yaml.org,2002:float' && (tag as ScalarTag).test?.test('.')) {
      result.push(floatTag);
    } else {
      result.push(tag);
    }
  }
  return result;
}

/**
 * go-yaml v2's reading of a plain scalar that looks like an integer: with
 * underscores removed, strconv.ParseInt(s, 0, 64) (0x, 0o, 0b and leading-0
 * octal), else ParseUint(s, 0, 64), else a float if it looks like one (08),
 * else the text itself.
 */
function goYamlInt(text: string): bigint | number | string {
  const plain = text.replace(/_/g, '');
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(plain);
  if (match) {
    const [, sign, digits] = match as unknown as [string, string, string];
    const magnitude = BigInt(/^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits);
    const value = sign === '-' ? -magnitude : magnitude;
    const limit = sign === '' ? 2n ** 64n - 1n : 2n ** 63n - 1n; // ParseUint takes no sign
    if (value >= -(2n ** 63n) && value <= limit) return value;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)) return parseFloat(plain);
  return text;
}

/** The JSON tag a key selects: an exact match, else a case-insensitive one (encoding/json). */
function matchTag(key: string, settings: Readonly<Record<string, unknown>>): string | undefined {
  if (Object.hasOwn(settings, key)) return key;
  const folded = key.toLowerCase();
  if (FOLD_SHADOWED_TAGS.has(folded)) return undefined;
  return Object.hasOwn(settings, folded) ? folded : undefined;
}

/**
 * A mapping's entries with keys as Go's yaml-to-JSON conversion writes them, in
 * the order encoding/json applies them (json.Marshal sorts map keys), so that
 * among keys naming the same setting the last in that order wins.
 */
function sortedEntries(map: Map<unknown, unknown>, path: string): Array<[key: string, value: unknown, position: number]> {
  const entries: Array<[string, unknown, number]> = [];
  for (const [key, value] of map) entries.push([keyText(key, path), value, entries.length]);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Map keys sigs.k8s.io/yaml can turn into JSON keys: strings, go-yaml ints (int64, not uint64), floats and booleans. */
function keyText(key: unknown, path: string): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'boolean' || typeof key === 'number') return String(key);
  if (typeof key === 'bigint' && key < 2n ** 63n) return String(key);
  throw new ConfigFileError(`config file ${path}: unsupported mapping key ${describe(key)}`);
}

/** Rejects what etcd cannot convert to JSON anywhere in the file, including under keys it ignores. */
function checkJsonable(value: unknown, path: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new ConfigFileError(`config file ${path}: unsupported value ${value} (JSON has no NaN or infinity)`);
  }
  if (Array.isArray(value)) {
    for (const item of value) checkJsonable(item, path);
  } else if (value instanceof Map) {
    for (const [key, item] of value) {
      keyText(key, path);
      checkJsonable(item, path);
    }
  }
}

function setValue(values: Record<string, string>, flag: string, kind: ValueKind, value: unknown, fail: (message: string) => never): void {
  // encoding/json leaves a Go value untouched when decoding null; a nil or
  // empty []string setting falls back to its default too.
  if (value === null || value === undefined) return;
  switch (kind) {
    case 'string':
      values[flag] = goString(value, fail);
      return;
    case 'nonempty-string':
    case 'proxy-string': {
      const text = kind === 'proxy-string' && (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') ? String(value) : goString(value, fail);
      if (text !== '') values[flag] = text;
      return;
    }
    case 'bool':
      if (typeof value !== 'boolean') fail(`expected a boolean, got ${describe(value)}`);
      values[flag] = String(value);
      return;
    case 'uint32':
      values[flag] = String(goInteger(value, 0n, 2n ** 32n - 1n, 'uint32', fail));
      return;
    case 'uint64':
      values[flag] = String(goInteger(value, 0n, 2n ** 64n - 1n, 'uint', fail));
      return;
    case 'int64':
      values[flag] = String(goInteger(value, -(2n ** 63n), 2n ** 63n - 1n, 'int', fail));
      return;
    case 'duration':
      if (typeof value === 'string') {
        fail(`expected an integer number of nanoseconds (etcd 3.4 decodes durations in the config file as time.Duration integers), got ${describe(value)}`);
      }
      values[flag] = formatGoDuration(goInteger(value, -(2n ** 63n), 2n ** 63n - 1n, 'time.Duration', fail));
      return;
    case 'string-list': {
      if (!Array.isArray(value)) fail(`expected a list, got ${describe(value)}`);
      // A null item decodes as Go's zero value, the empty string.
      const items = (value as unknown[]).map((item) => (item === null || item === undefined ? '' : goString(item, fail)));
      if (items.length > 0) values[flag] = items.join(',');
      return;
    }
  }
}

/** A YAML string (a !!binary value is its decoded bytes as text, as go-yaml gives it). */
function goString(value: unknown, fail: (message: string) => never): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return fail(`expected a string, got ${describe(value)}`);
}

/** An integer setting: YAML ints, or floats with an integral value (json.Marshal writes them without a fraction). */
function goInteger(value: unknown, min: bigint, max: bigint, typeName: string, fail: (message: string) => never): bigint {
  let integer: bigint;
  if (typeof value === 'bigint') {
    integer = value;
  } else if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 1e21 && !(Object.is(value, -0) && min === 0n)) {
    integer = BigInt(value);
  } else {
    return fail(`expected an integer (${typeName}), got ${describe(value)}`);
  }
  if (integer < min || integer > max) fail(`${integer} is out of range for ${typeName}`);
  return integer;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'bigint') return `integer ${value}`;
  if (typeof value === 'number') return `number ${value}`;
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Map) return 'a mapping';
  return `a value of type ${Object.prototype.toString.call(value).slice(8, -1)}`;
}

/** time.Duration(nanoseconds).String(), e.g. 1h0m0s, 1.5s, 250ms, 1µs. */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const negative = nanoseconds < 0n;
  const magnitude = negative ? -nanoseconds : nanoseconds;
  // Splits off `places` fractional digits: the '.ddd' text (trailing zeros dropped) and the whole part.
  const split = (amount: bigint, places: number): [string, bigint] => {
    const scale = 10n ** BigInt(places);
    const fraction = amount % scale;
    const text = fraction === 0n ? '' : `.${fraction.toString().padStart(places, '0').replace(/0+$/, '')}`;
    return [text, amount / scale];
  };
  let text: string;
  if (magnitude < 1_000_000_000n) {
    const [unit, places] = magnitude < 1_000n ? ['ns', 0] : magnitude < 1_000_000n ? ['µs', 3] : ['ms', 6];
    const [fraction, whole] = split(magnitude, places);
    text = `${whole}${fraction}${unit}`;
  } else {
    const [fraction, seconds] = split(magnitude, 9);
    text = `${seconds % 60n}${fraction}s`;
    const minutes = seconds / 60n;
    if (minutes > 0n) {
      text = `${minutes % 60n}m${text}`;
      const hours = minutes / 60n;
      if (hours > 0n) text = `${hours}h${text}`;
    }
  }
  return negative ? `-${text}` : text;
}
