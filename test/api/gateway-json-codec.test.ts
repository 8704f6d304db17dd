// The JSON gateway's codec against what etcd 3.4's grpc-gateway (jsonpb with
// OrigName, Go's encoding/json) produces; expected strings were taken from a
// real etcd 3.4.23.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { protoType } from '../../src/proto/index.js';
import { readGoJson, unmarshalGoJson, goQuote } from '../../src/api/gateway/go-json.js';
import { decodeGoBase64, jsonToObject, messageToJson } from '../../src/api/gateway/json-codec.js';
import { errorBody, httpStatusFromCode } from '../../src/api/gateway/gateway.js';

const decode = (typeName: string, text: string) => {
  const type = protoType(typeName);
  const read = readGoJson(text);
  return type.toObject(type.fromObject(read === undefined ? {} : jsonToObject(type, read.value)), { longs: String, bytes: String, enums: String });
};
const decodeError = (typeName: string, text: string): string => {
  try {
    decode(typeName, text);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('gateway JSON codec: requests', () => {
  it('reads proto and lowerCamel names, numbers in strings, base64, enums by name or number', () => {
    assert.deepEqual(decode('etcdserverpb.RangeRequest', '{"key":"Zm9v","rangeEnd":"Zm9w","limit":"10","revision":3,"sort_order":"DESCEND","sort_target":2}'), {
      key: 'Zm9v',
      range_end: 'Zm9w',
      limit: '10',
      revision: '3',
      sort_order: 'DESCEND',
      sort_target: 'CREATE',
    });
    assert.deepEqual(decode('etcdserverpb.LeaseGrantRequest', '{"TTL":60,"ID":"9223372036854775807"}'), { TTL: '60', ID: '9223372036854775807' });
    assert.deepEqual(decode('etcdserverpb.RangeRequest', ''), {});
    assert.deepEqual(decode('etcdserverpb.RangeRequest', '{"key":null,"unknown":{"x":[1]}}'), {});
  });

  it('reads oneofs and nested messages (a txn)', () => {
    const txn = decode('etcdserverpb.TxnRequest', '{"compare":[{"key":"Zm9v","result":"EQUAL","target":"VALUE","value":"YmFy"}],"success":[{"request_put":{"key":"Zm9v","value":"YmF6"}}]}');
    assert.deepEqual(txn, { compare: [{ key: 'Zm9v', result: 'EQUAL', target: 'VALUE', value: 'YmFy' }], success: [{ request_put: { key: 'Zm9v', value: 'YmF6' } }] });
  });

  it("answers a bad body with Go's messages", () => {
    const r = 'etcdserverpb.RangeRequest';
    assert.equal(decodeError(r, '{"key":"Zm9v", "limit":"x"}'), "invalid character 'x' looking for beginning of value");
    assert.equal(decodeError(r, '{"key":"Zm9v", "limit":1.5}'), 'json: cannot unmarshal number 1.5 into Go value of type int64');
    assert.equal(decodeError(r, '{"key":"!!!"}'), 'illegal base64 data at input byte 0');
    assert.equal(decodeError(r, '{"key":'), 'unexpected EOF');
    assert.equal(decodeError(r, 'xx'), "invalid character 'x' looking for beginning of value");
    assert.equal(decodeError(r, '{"key" 1}'), "invalid character '1' after object key");
    assert.equal(decodeError(r, '{"key":"Zm9v" "a"}'), `invalid character '"' after object key:value pair`);
    assert.equal(decodeError(r, '{"serializable":"yes"}'), 'json: cannot unmarshal string into Go value of type bool');
    assert.equal(decodeError(r, '{"key":5}'), 'json: cannot unmarshal number into Go value of type []uint8');
    assert.equal(decodeError(r, '{"sort_order":"UP"}'), 'unknown value "UP" for enum etcdserverpb.RangeRequest_SortOrder');
    assert.equal(decodeError(r, '[1]'), 'json: cannot unmarshal array into Go value of type map[string]json.RawMessage');
    assert.equal(decodeError('etcdserverpb.TxnRequest', '{"compare":{}}'), 'json: cannot unmarshal object into Go value of type []json.RawMessage');
    assert.equal(decodeError('etcdserverpb.LeaseGrantRequest', '{"TTL":"99999999999999999999"}'), 'json: cannot unmarshal number 99999999999999999999 into Go value of type int64');
  });

  it('decodes base64 as Go does', () => {
    assert.equal(decodeGoBase64('Zm9v').toString(), 'foo');
    assert.equal(decodeGoBase64('Zm8=').toString(), 'fo');
    assert.equal(decodeGoBase64('Zg==').toString(), 'f');
    assert.equal(decodeGoBase64('Zm9v\nYmFy').toString(), 'foobar');
    assert.throws(() => decodeGoBase64('Zm9'), /illegal base64 data at input byte 0/);
    assert.throws(() => decodeGoBase64('Zm9vY'), /illegal base64 data at input byte 4/);
    assert.throws(() => decodeGoBase64('Zg=x'), /illegal base64 data at input byte 2/);
    assert.throws(() => decodeGoBase64('Zg==Zg=='), /illegal base64 data at input byte 4/);
  });

  it('reads one value from a stream at a time', () => {
    const text = '{"a":1} {"b":2}';
    const first = readGoJson(text, 0, { moreMayFollow: true });
    assert.equal(first?.end, 7);
    const second = readGoJson(text, first!.end, { moreMayFollow: true });
    assert.equal(second?.end, text.length);
    assert.equal(readGoJson(text, second!.end), undefined);
    assert.throws(() => unmarshalGoJson('1 2'), /after top-level value/);
  });
});

describe('gateway JSON codec: responses', () => {
  it('writes proto names, int64 as strings, uint32 as numbers, defaults left out', () => {
    const type = protoType('etcdserverpb.RangeResponse');
    const message = type.fromObject({
      header: { cluster_id: '324952591200643719', member_id: '3319814642761637952', revision: 2, raft_term: 2 },
      kvs: [{ key: Buffer.from('foo'), create_revision: 2, mod_revision: 2, version: 1, value: Buffer.from('bar'), lease: 0 }],
      count: 1,
      more: false,
    });
    assert.equal(
      messageToJson(type, type.decode(type.encode(message).finish())),
      '{"header":{"cluster_id":"324952591200643719","member_id":"3319814642761637952","revision":"2","raft_term":"2"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}',
    );
    const hash = protoType('etcdserverpb.HashResponse');
    assert.equal(messageToJson(hash, hash.fromObject({ header: { revision: 2 }, hash: 2996158770 })), '{"header":{"revision":"2"},"hash":2996158770}');
    const alarm = protoType('etcdserverpb.AlarmResponse');
    assert.equal(messageToJson(alarm, alarm.fromObject({})), '{}');
    const event = protoType('mvccpb.Event');
    assert.equal(messageToJson(event, event.fromObject({ type: 1, kv: { key: Buffer.from('a') } })), '{"type":"DELETE","kv":{"key":"YQ=="}}');
  });

  it("escapes strings as Go's encoding/json", () => {
    assert.equal(goQuote('a<b>&"\\\n\u0001\u2028'), '"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\u0001\\u2028"');
  });

  it("writes errors as grpc-gateway's DefaultHTTPError, with its HTTP statuses", () => {
    assert.equal(errorBody(3, 'etcdserver: key is not provided'), '{"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3}');
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16].map(httpStatusFromCode), [200, 408, 500, 400, 504, 404, 409, 403, 429, 412, 409, 400, 501, 500, 503, 500, 401]);
  });
});
