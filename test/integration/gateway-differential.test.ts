// The JSON gateway, differentially: the same HTTP requests against the real
// etcd 3.4 and against etcd-ts, compared as status, the gateway's headers and
// the body, byte for byte after masking what legitimately differs (cluster and
// member ids, raft terms, lease ids, member URLs/ports, db sizes, raft
// indexes, the server version). Both members start empty, so revisions are
// compared exactly. Covers every route group, error cases (bad JSON, wrong
// types, bad base64, unknown route, wrong method, gRPC errors), a watch
// stream, a lease keep-alive and auth with a token in the Authorization header.
// GATEWAY_DIFF_VERBOSE=1 prints each step's masked answer (ours).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';

interface Answer {
  status: number;
  headers: string;
  body: string;
}

interface Session {
  member: MemberProcess;
  leaseIds: string[];
  token?: string;
}

function post(member: MemberProcess, path: string, body: string, options: { method?: string; headers?: Record<string, string>; streamFor?: number; during?: () => Promise<void> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: member.clientPort, path, method: options.method ?? 'POST', headers: options.headers ?? {} }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      const finish = () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: ['content-type', 'grpc-metadata-content-type', 'trailer', 'x-content-type-options', 'access-control-allow-origin']
            .map((name) => `${name}=${String(response.headers[name] ?? '')}`)
            .join(' '),
          body: text,
        });
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', finish);
      response.on('error', () => finish());
      if (options.streamFor !== undefined) {
        setTimeout(() => {
          void (options.during?.() ?? Promise.resolve()).then(() =>
            setTimeout(() => {
              finish();
              request.destroy();
            }, options.streamFor),
          );
        }, 300);
      }
    });
    request.on('error', (error) => (options.streamFor !== undefined ? undefined : reject(error)));
    request.end(body);
  });
}

function mask(session: Session, text: string): string {
  let masked = text;
  session.leaseIds.forEach((id, index) => (masked = masked.split(id).join(`<lease#${index}>`)));
  return masked
    .replace(/"(cluster_id|member_id|leader|ID|raft_term|raftTerm|raftIndex|raftAppliedIndex|dbSize|dbSizeInUse|memberID)":"?\d+"?/g, '"$1":<$1>')
    .replace(/"(clientURLs|peerURLs)":\[[^\]]*\]/g, '"$1":<urls>')
    .replace(/"version":"3\.\d+\.\d+"/g, '"version":<server-version>')
    .replace(/"hash":\d+/g, '"hash":<hash>')
    .replace(/"simple_token":"[^"]*"|"token":"[^"]*"/g, '"token":<token>');
}

interface Step {
  name: string;
  path: string;
  body: string | ((session: Session) => string);
  method?: string;
  headers?: (session: Session) => Record<string, string>;
  /** A stream: read it this long (ms) after `during` ran. */
  streamFor?: number;
  during?: (session: Session) => Promise<void>;
  /** The answer names a lease to remember. */
  grants?: boolean;
  authenticates?: boolean;
  /** What etcd-ts' answer must contain, so a step that went wrong alike on both still fails. */
  expect?: RegExp;
  /** Compare the status only (the answer differs legitimately, e.g. a TTL that drifted). */
  statusOnly?: boolean;
  ignoreHeaders?: boolean;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const auth = (session: Session) => ({ Authorization: session.token ?? '' });

const STEPS: Step[] = [
  { name: 'put', path: '/v3/kv/put', body: `{"key":"${b64('foo')}","value":"${b64('bar')}"}`, expect: /"revision":"2"/ },
  { name: 'put prev_kv (camel name)', path: '/v3/kv/put', body: `{"key":"${b64('foo')}","value":"${b64('baz')}","prevKv":true}`, expect: /prev_kv/ },
  { name: 'range', path: '/v3/kv/range', body: `{"key":"${b64('foo')}"}`, expect: /"kvs"/ },
  { name: 'range v3beta', path: '/v3beta/kv/range', body: `{"key":"${b64('foo')}","count_only":true}` },
  { name: 'range prefix, limit as string, sort', path: '/v3/kv/range', body: `{"key":"${b64('f')}","range_end":"${b64('g')}","limit":"5","sort_order":"DESCEND","sort_target":"MOD"}` },
  { name: 'range at revision 1', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","revision":1}` },
  { name: 'txn', path: '/v3/kv/txn', body: `{"compare":[{"key":"${b64('foo')}","result":"EQUAL","target":"VALUE","value":"${b64('baz')}"}],"success":[{"request_put":{"key":"${b64('t')}","value":"${b64('1')}"}},{"request_range":{"key":"${b64('foo')}"}}],"failure":[{"request_delete_range":{"key":"${b64('foo')}"}}]}`, expect: /succeeded/ },
  { name: 'txn failing compare', path: '/v3/kv/txn', body: `{"compare":[{"key":"${b64('foo')}","target":"VERSION","result":"GREATER","version":"10"}],"failure":[{"request_range":{"key":"${b64('t')}"}}]}` },
  { name: 'deleterange', path: '/v3/kv/deleterange', body: `{"key":"${b64('t')}","prev_kv":true}`, expect: /deleted/ },
  { name: 'compaction', path: '/v3/kv/compaction', body: '{"revision":2}' },
  { name: 'compaction (future revision)', path: '/v3/kv/compaction', body: '{"revision":100}', expect: /future revision/ },
  { name: 'range compacted revision', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","revision":1}`, expect: /compacted/ },
  // Bad input.
  { name: 'no key', path: '/v3/kv/range', body: '{"nokey":1}', expect: /key is not provided/ },
  { name: 'empty body', path: '/v3/kv/put', body: '' },
  { name: 'malformed JSON', path: '/v3/kv/range', body: '{"key":', expect: /unexpected EOF/ },
  { name: 'not JSON', path: '/v3/kv/range', body: 'hello' },
  { name: 'wrong type (string for int64)', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","limit":"x"}` },
  { name: 'wrong type (fraction for int64)', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","limit":1.5}` },
  { name: 'wrong type (string for bool)', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","serializable":"yes"}` },
  { name: 'wrong type (array for message)', path: '/v3/kv/range', body: '[1,2]' },
  { name: 'bad base64', path: '/v3/kv/range', body: '{"key":"!!!"}', expect: /illegal base64/ },
  { name: 'unknown enum name', path: '/v3/kv/range', body: `{"key":"${b64('foo')}","sort_order":"UP"}` },
  { name: 'unknown route', path: '/v3/kv/nothing', body: '{}', expect: /Not Found/ },
  { name: 'wrong method', path: '/v3/kv/range', body: '', method: 'GET', expect: /Method Not Allowed/ },
  // Outside the gateway, etcd-ts' plain 404 has no CORS headers: compare status and body only.
  { name: 'v3alpha is not served', path: '/v3alpha/kv/range', body: '{}', ignoreHeaders: true, expect: /404 page not found/ },
  // Leases.
  { name: 'lease grant', path: '/v3/lease/grant', body: '{"TTL":60}', grants: true, expect: /"TTL":"60"/ },
  { name: 'lease grant with id', path: '/v3/lease/grant', body: '{"TTL":30,"ID":"7587"}', grants: true },
  { name: 'put with lease', path: '/v3/kv/put', body: (s) => `{"key":"${b64('leased')}","value":"${b64('v')}","lease":"${s.leaseIds[0]}"}` },
  { name: 'lease timetolive', path: '/v3/lease/timetolive', body: (s) => `{"ID":"${s.leaseIds[0]}","keys":true}`, statusOnly: true, expect: /grantedTTL/ },
  { name: 'lease timetolive (kv alias)', path: '/v3/kv/lease/timetolive', body: '{"ID":12345}', expect: /"TTL":"-1"/ },
  { name: 'lease leases', path: '/v3/lease/leases', body: '{}', expect: /leases/ },
  { name: 'lease keepalive', path: '/v3/lease/keepalive', body: (s) => `{"ID":"${s.leaseIds[0]}"}`, streamFor: 300, expect: /"result"/ },
  { name: 'lease keepalive of an unknown lease', path: '/v3/lease/keepalive', body: '{"ID":"999"}', streamFor: 300 },
  { name: 'lease revoke (kv alias)', path: '/v3/kv/lease/revoke', body: (s) => `{"ID":"${s.leaseIds[0]}"}` },
  { name: 'lease revoke again', path: '/v3/lease/revoke', body: (s) => `{"ID":"${s.leaseIds[0]}"}`, expect: /lease not found/ },
  { name: 'leased key gone', path: '/v3/kv/range', body: `{"key":"${b64('leased')}"}` },
  // Watch: the created response, then events.
  {
    name: 'watch',
    path: '/v3/watch',
    body: `{"create_request":{"key":"${b64('w')}"}}`,
    streamFor: 500,
    during: async (s) => {
      await post(s.member, '/v3/kv/put', `{"key":"${b64('w')}","value":"${b64('1')}"}`);
      await post(s.member, '/v3/kv/deleterange', `{"key":"${b64('w')}"}`);
    },
    expect: /"type":"DELETE"/,
  },
  { name: 'watch from a revision, two watchers', path: '/v3/watch', body: `{"create_request":{"key":"${b64('foo')}","start_revision":3}}{"create_request":{"key":"${b64('w')}","prev_kv":true}}`, streamFor: 300 },
  { name: 'watch with a malformed first request', path: '/v3/watch', body: '{"create_request":', expect: /"code":2/ },
  // Cluster and maintenance.
  { name: 'member list', path: '/v3/cluster/member/list', body: '{}', expect: /members/ },
  { name: 'member remove (unknown)', path: '/v3/cluster/member/remove', body: '{"ID":"1"}' },
  { name: 'status', path: '/v3/maintenance/status', body: '{}', expect: /raftIndex/ },
  { name: 'hash', path: '/v3/maintenance/hash', body: '{}', expect: /hash/ },
  // Auth, with the token in the Authorization header.
  { name: 'user add root', path: '/v3/auth/user/add', body: '{"name":"root","password":"rootpw"}' },
  { name: 'user grant root', path: '/v3/auth/user/grant', body: '{"user":"root","role":"root"}' },
  { name: 'role add', path: '/v3/auth/role/add', body: '{"name":"reader"}' },
  { name: 'role grant permission', path: '/v3/auth/role/grant', body: `{"name":"reader","perm":{"permType":"READ","key":"${b64('foo')}"}}` },
  { name: 'role get', path: '/v3/auth/role/get', body: '{"role":"reader"}', expect: /perm/ },
  { name: 'user list', path: '/v3/auth/user/list', body: '{}' },
  { name: 'auth enable', path: '/v3/auth/enable', body: '{}' },
  { name: 'range without a token', path: '/v3/kv/range', body: `{"key":"${b64('foo')}"}`, expect: /user name is empty/ },
  { name: 'authenticate (wrong password)', path: '/v3/auth/authenticate', body: '{"name":"root","password":"nope"}', expect: /authentication failed/ },
  { name: 'authenticate', path: '/v3/auth/authenticate', body: '{"name":"root","password":"rootpw"}', authenticates: true, expect: /token/ },
  { name: 'range with the token', path: '/v3/kv/range', body: `{"key":"${b64('foo')}"}`, headers: auth, expect: /"kvs"/ },
  { name: 'range with a bad token', path: '/v3/kv/range', body: `{"key":"${b64('foo')}"}`, headers: () => ({ Authorization: 'nonsense' }), expect: /invalid auth token/ },
  { name: 'user get with the token', path: '/v3/auth/user/get', body: '{"name":"root"}', headers: auth, expect: /roles/ },
  { name: 'auth disable', path: '/v3/auth/disable', body: '{}', headers: auth },
];

describe('JSON gateway against etcd 3.4', { timeout: 120_000 }, () => {
  const sessions: Record<'etcd' | 'ours', Session> = {} as never;

  before(async () => {
    const [etcd, ours] = await Promise.all([MemberProcess.start({ kind: 'etcd' }), MemberProcess.start({ kind: 'etcd-ts' })]);
    sessions.etcd = { member: etcd, leaseIds: [] };
    sessions.ours = { member: ours, leaseIds: [] };
  });
  after(async () => {
    await stopAllMembers();
  });

  it('answers every step as etcd 3.4 does', async () => {
    const differences: string[] = [];
    for (const step of STEPS) {
      const answers: Partial<Record<'etcd' | 'ours', Answer>> = {};
      for (const side of ['etcd', 'ours'] as const) {
        const session = sessions[side];
        const body = typeof step.body === 'function' ? step.body(session) : step.body;
        const answer = await post(session.member, step.path, body, {
          method: step.method,
          headers: step.headers?.(session),
          streamFor: step.streamFor,
          during: step.during ? () => step.during!(session) : undefined,
        });
        if (step.grants) {
          const id = /"ID":"(\d+)"/.exec(answer.body)?.[1];
          if (id) session.leaseIds.push(id);
        }
        if (step.authenticates) session.token = /"token":"([^"]+)"/.exec(answer.body)?.[1];
        answers[side] = { ...answer, body: mask(session, answer.body) };
      }
      const ours = answers.ours!;
      const theirs = answers.etcd!;
      if (process.env.GATEWAY_DIFF_VERBOSE) console.log(`${step.name}: ${ours.status} ${ours.headers}\n${ours.body}`);
      if (step.expect) assert.match(ours.body, step.expect, `${step.name}: ${ours.body}`);
      const same = step.statusOnly
        ? ours.status === theirs.status
        : ours.status === theirs.status && (step.ignoreHeaders || ours.headers === theirs.headers) && ours.body === theirs.body;
      if (!same) differences.push(`${step.name}:\n  etcd: ${theirs.status} ${theirs.headers}\n        ${theirs.body}\n  ours: ${ours.status} ${ours.headers}\n        ${ours.body}`);
    }
    assert.deepEqual(differences, [], differences.join('\n'));
  });
});
