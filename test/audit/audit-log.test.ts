import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, formatAuditLine, type AuditEntry } from '../../src/audit/index.js';
import { recordingLogger } from '../support/recording-logger.js';

const capturingLogger = () => recordingLogger();

class FakeClock {
  constructor(public currentMs = Date.UTC(2024, 4, 1, 12, 0, 0, 123)) {}
  nowMs(): number {
    return this.currentMs;
  }
  advance(ms: number): void {
    this.currentMs += ms;
  }
}

const FAILED = 'audit log write failed; requests are still served';
const put = (key: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({ method: '/etcdserverpb.KV/Put', user: 'alice', remote: '127.0.0.1:5000', key: Buffer.from(key), revision: 7, code: 'OK', ...extra });
const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'etcd-ts-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('audit log lines', () => {
  it('writes one JSON line per entry with time, member and the request', async () => {
    const path = join(dir, 'audit.log');
    const log = await AuditLog.open({ path, memberId: '8e9e05c52164694d', logger: capturingLogger(), clock: new FakeClock() });
    log.record(put('foo'));
    log.record({ method: '/etcdserverpb.KV/Range', certificateCN: 'client-1', key: Buffer.from('a'), rangeEnd: Buffer.from('b'), code: 'PermissionDenied', error: 'etcdserver: permission denied' });
    log.record({ method: '/etcdserverpb.Auth/Authenticate', remote: '[::1]:6000', code: 'InvalidArgument', error: 'etcdserver: authentication failed, invalid user ID or password' });
    await log.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const lines = readLines(path);
    assert.deepEqual(lines, [
      { time: '2024-05-01T12:00:00.123Z', member: '8e9e05c52164694d', user: 'alice', remote: '127.0.0.1:5000', method: '/etcdserverpb.KV/Put', key: 'foo', revision: 7, result: 'ok', code: 'OK' },
      {
        time: '2024-05-01T12:00:00.123Z',
        member: '8e9e05c52164694d',
        certificateCN: 'client-1',
        method: '/etcdserverpb.KV/Range',
        key: 'a',
        rangeEnd: 'b',
        result: 'denied',
        code: 'PermissionDenied',
        error: 'etcdserver: permission denied',
      },
      {
        time: '2024-05-01T12:00:00.123Z',
        member: '8e9e05c52164694d',
        remote: '[::1]:6000',
        method: '/etcdserverpb.Auth/Authenticate',
        result: 'error',
        code: 'InvalidArgument',
        error: 'etcdserver: authentication failed, invalid user ID or password',
      },
    ]);
    assert.match(String(lines[0]!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('writes keys that are not printable UTF-8 as base64 in a *Base64 field', () => {
    const line = (entry: AuditEntry) => JSON.parse(formatAuditLine(entry, 'm', 0)) as Record<string, unknown>;
    assert.deepEqual(
      [line(put('héllo/ключ')).key, line(put('')).key],
      ['héllo/ключ', ''],
    );
    const binary = line({ method: 'm', code: 'OK', key: Buffer.from([0xff, 0x00, 0x41]), rangeEnd: Buffer.from([0]) });
    assert.equal(binary.key, undefined);
    assert.equal(binary.keyBase64, '/wBB');
    assert.equal(binary.rangeEnd, undefined);
    assert.equal(binary.rangeEndBase64, 'AA==', 'from-key range_end "\\0"');
    assert.equal(line(put('a\nb')).keyBase64, Buffer.from('a\nb').toString('base64'), 'a newline is not printable');
    assert.equal(line(put('abc\u202Edef')).keyBase64, Buffer.from('abc\u202Edef').toString('base64'), 'nor is a bidi override');
    assert.equal(formatAuditLine(put('x\ny'), 'm', 0).split('\n').length, 2, 'one line, whatever the key');
  });

  it('never writes values or passwords, even when the caller passes them along', async () => {
    const path = join(dir, 'audit.log');
    const log = await AuditLog.open({ path, memberId: 'm', logger: capturingLogger() });
    const request = { ...put('k'), value: Buffer.from('s3cret-value'), password: 's3cret-password', hashedPassword: 'x', prevKv: { value: 'v' } };
    log.record(request as AuditEntry);
    log.record({ method: '/etcdserverpb.Auth/UserAdd', user: 'root', code: 'OK', ...({ name: 'bob', password: 's3cret-password' } as object) });
    await log.close();
    const text = readFileSync(path, 'utf8');
    assert.doesNotMatch(text, /s3cret|password|value|prevKv/i);
    for (const line of readLines(path)) {
      for (const name of Object.keys(line)) {
        assert.ok(['time', 'member', 'user', 'certificateCN', 'remote', 'method', 'key', 'keyBase64', 'rangeEnd', 'rangeEndBase64', 'revision', 'result', 'code', 'error'].includes(name), name);
      }
    }
  });

  it('never throws from record, whatever it is given', async () => {
    const logger = capturingLogger();
    const log = await AuditLog.open({ path: join(dir, 'audit.log'), memberId: 'm', logger });
    assert.doesNotThrow(() => log.record(null as unknown as AuditEntry));
    assert.doesNotThrow(() => log.record({ method: 'm', code: 'OK', revision: Number.NaN, key: 'not a buffer' as unknown as Buffer }));
    await log.close();
    assert.doesNotThrow(() => log.record(put('after close')));
  });
});

describe('audit log rotation and failures', () => {
  it('reopen starts a new file after the old one was renamed (SIGHUP rotation)', async () => {
    const path = join(dir, 'audit.log');
    const log = await AuditLog.open({ path, memberId: 'm', logger: capturingLogger() });
    log.record(put('one'));
    log.record(put('two'));
    await log.flush();
    renameSync(path, `${path}.1`);
    log.record(put('three')); // recorded before reopen: lands in the renamed file or the new one, never lost
    const reopened = log.reopen();
    log.record(put('four')); // likewise, until the reopen is done
    await reopened;
    log.record(put('five'));
    await log.close();
    const old = readLines(`${path}.1`).map((line) => line.key);
    const current = readLines(path).map((line) => line.key);
    assert.deepEqual(old.slice(0, 2), ['one', 'two']);
    assert.deepEqual([...old, ...current], ['one', 'two', 'three', 'four', 'five']);
    assert.equal(current.at(-1), 'five');
  });

  it('on /dev/full: does not throw, warns once, drops while failing', { skip: !existsSync('/dev/full') }, async () => {
    const logger = capturingLogger();
    const clock = new FakeClock();
    const log = await AuditLog.open({ path: '/dev/full', memberId: 'm', logger, clock, retryIntervalMs: 1000 });
    for (let i = 0; i < 20; i++) log.record(put(`k${i}`));
    await log.flush();
    for (let i = 0; i < 20; i++) log.record(put(`k${i}`));
    clock.advance(1000); // a retry: it fails too, and says nothing new
    log.record(put('retry'));
    await log.flush();
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.msg, FAILED);
    assert.match(String(warnings[0]!.fields?.error), /ENOSPC/);
    assert.deepEqual(log.stats(), { written: 0, dropped: 41, failing: true });
    await log.close();
  });

  it('when the file cannot be reopened: one warning, entries dropped and counted, writing resumes after a successful reopen', async () => {
    const logger = capturingLogger();
    const sub = join(dir, 'logs');
    mkdirSync(sub);
    const path = join(sub, 'audit.log');
    const log = await AuditLog.open({ path, memberId: 'm', logger, retryIntervalMs: 0 });
    log.record(put('before'));
    await log.flush();
    rmSync(sub, { recursive: true });
    await log.reopen(); // ENOENT
    log.record(put('lost-1'));
    log.record(put('lost-2'));
    await log.reopen(); // still ENOENT: same episode, no second warning
    log.record(put('lost-3'));
    await log.flush();
    assert.equal(logger.lines.filter((line) => line.msg === FAILED).length, 1);
    assert.match(String(logger.lines.find((line) => line.msg === FAILED)!.fields?.error), /ENOENT/);
    assert.equal(log.stats().failing, true);

    mkdirSync(sub);
    await log.reopen();
    log.record(put('after'));
    await log.close();
    assert.deepEqual(logger.lines.find((line) => line.msg === 'audit log writing resumed')?.fields, { path, dropped: 3 });
    const lines = readLines(path);
    assert.deepEqual(
      lines.map((line) => [line.key, line.dropped, line.reason]),
      [
        [undefined, 3, 'write-failed'],
        ['after', undefined, undefined],
      ],
    );
    assert.equal(logger.lines.filter((line) => line.level === 'warn').length, 1);
  });

  it('retries on its own when told to, and a later failure is a new episode', async () => {
    const logger = capturingLogger();
    const clock = new FakeClock();
    const sub = join(dir, 'logs');
    mkdirSync(sub);
    const path = join(sub, 'audit.log');
    const log = await AuditLog.open({ path, memberId: 'm', logger, clock, retryIntervalMs: 5000 });
    rmSync(sub, { recursive: true });
    await log.reopen();
    log.record(put('lost'));
    mkdirSync(sub);
    clock.advance(5000);
    log.record(put('retried'));
    log.record(put('next'));
    await log.flush();
    assert.deepEqual(logger.lines.find((line) => line.msg === 'audit log writing resumed')?.fields, { path, dropped: 1 });
    assert.deepEqual(readLines(path).map((line) => line.key ?? line.dropped), [1, 'retried', 'next']);
    rmSync(sub, { recursive: true });
    await log.reopen();
    assert.equal(logger.lines.filter((line) => line.msg === FAILED).length, 2);
    await log.close();
  });

  it('bounds its memory: beyond maxBufferedBytes entries are dropped, counted and reported once written out', async () => {
    const logger = capturingLogger();
    const path = join(dir, 'audit.log');
    const log = await AuditLog.open({ path, memberId: 'm', logger, maxBufferedBytes: 1000 });
    for (let i = 0; i < 100; i++) log.record(put(`key-${i}`)); // ~130 bytes each, all in one tick
    log.record(put('x'.repeat(2000)));
    await log.flush();
    log.record(put('later'));
    await log.close();
    const lines = readLines(path);
    const written = lines.filter((line) => line.key !== undefined);
    const notice = lines.find((line) => line.reason === 'backlog');
    assert.ok(written.length >= 5 && written.length < 100, `${written.length} written`);
    assert.equal(notice?.dropped, 101 - (written.length - 1));
    assert.equal(written.at(-1)!.key, 'later');
    const warning = logger.lines.find((line) => line.msg === 'audit log could not keep up; entries were dropped');
    assert.equal(warning?.fields?.dropped, notice?.dropped);
    assert.equal(log.stats().dropped, notice?.dropped);
  });

  it('refuses to open a path it cannot create', async () => {
    await assert.rejects(AuditLog.open({ path: join(dir, 'no', 'such', 'dir', 'audit.log'), memberId: 'm', logger: capturingLogger() }), /ENOENT/);
  });
});
