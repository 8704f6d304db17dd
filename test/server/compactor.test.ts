// The automatic compactor (etcd's v3compactor) on a virtual clock: periodic
// mode compacts at the revision of one period ago, then every
// min(period, 1h); revision mode keeps the last N revisions; a paused
// (follower) compactor does nothing; an already-compacted revision counts as
// done; a failure is retried; the modes' retention parsing follows etcd.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCompactionRetention, startCompactor } from '../../src/server/compactor.js';
import { CompactedError } from '../../src/mvcc/errors.js';
import { VirtualTimers } from '../support/virtual-timers.js';
import { createLogger, type Logger } from '../../src/pkg/logger.js';


function quietLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', write: (line: string) => lines.push(line) });
  return { logger, lines };
}

function harness(mode: string, retention: number, options: { paused?: () => boolean; fail?: () => Error | undefined } = {}) {
  const clock = new VirtualTimers();
  const compactions: number[] = [];
  let revision = 1;
  const { logger, lines } = quietLogger();
  const compactor = startCompactor(
    mode,
    retention,
    {
      logger,
      clock,
      revision: () => revision,
      compact: async (at) => {
        const error = options.fail?.();
        if (error) throw error;
        compactions.push(at);
      },
      isPaused: options.paused ?? (() => false),
    },
    { revisionIntervalMs: 1000 },
  );
  return {
    clock,
    compactions,
    lines,
    compactor,
    setRevision: (value: number) => (revision = value),
  };
}

describe('automatic compaction (v3compactor)', () => {
  it('parses retention as etcd does', () => {
    assert.equal(parseCompactionRetention('periodic', '1'), 3_600_000);
    assert.equal(parseCompactionRetention('periodic', '30m'), 1_800_000);
    assert.equal(parseCompactionRetention('periodic', '1h30m'), 5_400_000);
    assert.equal(parseCompactionRetention('revision', '1000'), 1000);
    assert.equal(parseCompactionRetention('periodic', '0'), 0);
    assert.throws(() => parseCompactionRetention('periodic', 'abc'), /error parsing CompactionRetention/);
    assert.equal(startCompactor('periodic', 0, { logger: quietLogger().logger, revision: () => 0, compact: async () => undefined, isPaused: () => false }), undefined);
  });

  it('periodic: compacts at the revision of one period ago, then every period', async () => {
    // Period 10 s: the revision is sampled every 1 s; the first compaction after 10 s.
    const h = harness('periodic', 10_000);
    for (let second = 1; second <= 9; second++) {
      h.setRevision(second * 10);
      await h.clock.advance(1000);
    }
    assert.deepEqual(h.compactions, []);
    h.setRevision(100);
    await h.clock.advance(1000);
    // The revision sampled at t=0.
    assert.equal(h.compactions.length, 1);
    assert.equal(h.compactions[0], 1);
    for (let second = 11; second <= 20; second++) {
      h.setRevision(second * 10);
      await h.clock.advance(1000);
    }
    assert.equal(h.compactions.length, 2);
    // The sample taken at t=9 s (one period and one retry interval before), as etcd's ring of period/retry+1 samples gives.
    assert.equal(h.compactions[1], 90);
    assert.ok(h.lines.some((line) => line.includes('"starting auto periodic compaction"') && line.includes('"compact-period":"10s"')));
    assert.ok(h.lines.some((line) => line.includes('"completed auto periodic compaction"')));
    h.compactor!.stop();
  });

  it('periodic: a long period compacts hourly after the first period', async () => {
    const h = harness('periodic', 3 * 3_600_000);
    for (let minute = 1; minute <= 180; minute++) {
      h.setRevision(minute);
      await h.clock.advance(60_000);
    }
    assert.equal(h.compactions.length, 1);
    for (let minute = 181; minute <= 240; minute++) {
      h.setRevision(minute);
      await h.clock.advance(60_000);
    }
    assert.equal(h.compactions.length, 2);
    // The revision of three hours before.
    assert.ok(h.compactions[1]! >= 54 && h.compactions[1]! <= 60, String(h.compactions[1]));
    h.compactor!.stop();
  });

  it('revision: keeps the last N revisions, skips an unchanged revision', async () => {
    const h = harness('revision', 10);
    h.setRevision(5);
    await h.clock.advance(1000);
    assert.deepEqual(h.compactions, []);
    h.setRevision(25);
    await h.clock.advance(1000);
    assert.deepEqual(h.compactions, [15]);
    await h.clock.advance(1000);
    assert.deepEqual(h.compactions, [15]);
    h.setRevision(40);
    await h.clock.advance(1000);
    assert.deepEqual(h.compactions, [15, 30]);
    assert.ok(h.lines.some((line) => line.includes('"completed auto revision compaction"') && line.includes('"revision-compaction-retention":10')));
    h.compactor!.stop();
    h.setRevision(100);
    await h.clock.advance(5000);
    assert.deepEqual(h.compactions, [15, 30]);
  });

  it('a paused (follower) compactor does nothing', async () => {
    let paused = true;
    const h = harness('revision', 10, { paused: () => paused });
    h.setRevision(100);
    await h.clock.advance(5000);
    assert.deepEqual(h.compactions, []);
    paused = false;
    await h.clock.advance(1000);
    assert.deepEqual(h.compactions, [90]);
    h.compactor!.stop();
  });

  it('a failed compaction is retried; an already-compacted revision counts as done', async () => {
    let failures = 1;
    const h = harness('revision', 10, { fail: () => (failures-- > 0 ? new Error('etcdserver: request timed out') : undefined) });
    h.setRevision(50);
    await h.clock.advance(1000);
    assert.deepEqual(h.compactions, []);
    assert.ok(h.lines.some((line) => line.includes('"failed auto revision compaction"')));
    await h.clock.advance(1000);
    assert.deepEqual(h.compactions, [40]);
    h.compactor!.stop();

    const compacted = harness('revision', 10, { fail: () => new CompactedError() });
    compacted.setRevision(50);
    await compacted.clock.advance(1000);
    assert.ok(compacted.lines.some((line) => line.includes('"completed auto revision compaction"')));
    compacted.compactor!.stop();
  });
});
