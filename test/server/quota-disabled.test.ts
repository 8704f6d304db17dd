// --quota-backend-bytes=-1 (etcd: a negative quota disables it): the flag
// takes negative numbers (Go's Int64 flag, both syntaxes, ETCD_* too), the
// quota logs "disabled backend quota", and a write is allowed however large
// the backend already is, where the default 2 GiB quota refuses it.
// --experimental-corrupt-check-time is parsed as a duration, 0s by default.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildMemberConfig, ConfigError, parseCommandLine } from '../../src/server/config.js';
import { DEFAULT_QUOTA_BYTES, newBackendQuota } from '../../src/server/quota.js';
import { recordingLogger } from '../support/recording-logger.js';

const put = { put: { key: Buffer.from('key'), value: Buffer.alloc(1024) } } as Parameters<ReturnType<typeof newBackendQuota>['available']>[0];

describe('--quota-backend-bytes=-1', () => {
  it('parses negative values as Go does, and refuses what is not an int64', () => {
    assert.equal(buildMemberConfig(parseCommandLine(['--quota-backend-bytes=-1'], {}).values).quotaBackendBytes, -1);
    assert.equal(buildMemberConfig(parseCommandLine(['--quota-backend-bytes', '-1'], {}).values).quotaBackendBytes, -1);
    assert.equal(buildMemberConfig(parseCommandLine([], { ETCD_QUOTA_BACKEND_BYTES: '-5' }).values).quotaBackendBytes, -5);
    assert.equal(buildMemberConfig(parseCommandLine([], {}).values).quotaBackendBytes, 0);
    for (const bad of ['-1.5', 'abc', '9223372036854775808', '']) {
      assert.throws(() => buildMemberConfig(parseCommandLine([`--quota-backend-bytes=${bad}`], {}).values), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, `invalid value "${bad}" for flag -quota-backend-bytes: parse error`);
        return true;
      });
    }
  });

  it('disables the quota: logged, and a put fits past the default quota', () => {
    const backendSize = DEFAULT_QUOTA_BYTES + 1024 * 1024;
    const logger = recordingLogger();
    const disabled = newBackendQuota(-1, () => backendSize, logger);
    assert.equal(disabled.available(put), true);
    assert.equal(disabled.available({ leaseGrant: true }), true);
    assert.deepEqual(
      logger.lines.map((line) => [line.level, line.msg, line.fields?.['quota-size-bytes']]),
      [['info', 'disabled backend quota', -1]],
    );
    // The same backend under the default quota (0) is refused: the check is real.
    const byDefault = newBackendQuota(0, () => backendSize, recordingLogger());
    assert.equal(byDefault.available(put), false);
  });

  it('parses --experimental-corrupt-check-time', () => {
    assert.equal(buildMemberConfig(parseCommandLine([], {}).values).corruptCheckTimeMs, 0);
    assert.equal(buildMemberConfig(parseCommandLine(['--experimental-corrupt-check-time', '1m30s'], {}).values).corruptCheckTimeMs, 90_000);
  });
});
