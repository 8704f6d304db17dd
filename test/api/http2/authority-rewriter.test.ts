// The client port's :authority rewriter (src/api/http2/authority-rewriter.ts)
// and its HPACK decoder (src/api/http2/hpack.ts): crafted frames, RFC 7541's examples, and
// Node's own HTTP/2 client and server on either side of the rewriting duplex.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { once } from 'node:events';
import { frame, request } from './helpers.js';
import {
  AuthorityRewriter,
  authorityWithoutScheme,
  HTTP2_CLIENT_PREFACE,
  MAX_FRAME_PAYLOAD,
  rewritingAuthority,
} from '../../../src/api/http2/authority-rewriter.js';
import { HpackDecoder, huffmanDecode, type HeaderField } from '../../../src/api/http2/hpack.js';
import { encodeIndexed, encodeLiteralWithIndexing, huffmanCode, huffmanEncode } from './hpack-encoder.js';

const HEADERS = 0x1;
const DATA = 0x0;
const SETTINGS = 0x4;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;


const field = (name: string, value: string): HeaderField => ({ name: Buffer.from(name), value: Buffer.from(value) });
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// RFC 7541 C.4: three requests with Huffman strings sharing a dynamic table.
const RFC_C4_1 = hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff');
const RFC_C4_2 = hex('8286 84be 5886 a8eb 1064 9cbf');
const RFC_C4_3 = hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf');

interface ParsedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

function parseFrames(bytes: Buffer): ParsedFrame[] {
  assert.ok(bytes.subarray(0, 24).equals(HTTP2_CLIENT_PREFACE), 'output starts with the preface');
  const frames: ParsedFrame[] = [];
  for (let offset = 24; offset < bytes.length; ) {
    const length = bytes.readUIntBE(offset, 3);
    frames.push({
      type: bytes[offset + 3]!,
      flags: bytes[offset + 4]!,
      streamId: bytes.readUInt32BE(offset + 5),
      payload: bytes.subarray(offset + 9, offset + 9 + length),
    });
    offset += 9 + length;
  }
  return frames;
}

/** Feeds `input` in pieces of `chunkSize` bytes; returns the concatenated output. */
function run(rewriter: AuthorityRewriter, input: Buffer, chunkSize = input.length): Buffer {
  const out: Buffer[] = [];
  for (let offset = 0; offset < input.length; offset += chunkSize) {
    out.push(...rewriter.transform(input.subarray(offset, offset + chunkSize)));
  }
  return Buffer.concat(out);
}

const strings = (fields: HeaderField[]) => fields.map(({ name, value }) => [name.toString(), value.toString()]);

describe('HPACK decoder', () => {
  it('decodes RFC 7541 C.4 (Huffman, dynamic table across three blocks)', () => {
    const decoder = new HpackDecoder();
    assert.deepEqual(strings(decoder.decode(RFC_C4_1)), [
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'],
    ]);
    assert.equal(decoder.dynamicTableSize, 57);
    assert.deepEqual(strings(decoder.decode(RFC_C4_2)), [
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache'],
    ]);
    assert.equal(decoder.dynamicTableSize, 110);
    assert.deepEqual(strings(decoder.decode(RFC_C4_3)), [
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value'],
    ]);
    assert.equal(decoder.dynamicTableSize, 164);
  });

  it('evicts, applies size updates and rejects malformed blocks', () => {
    const decoder = new HpackDecoder(100);
    decoder.decode(encodeLiteralWithIndexing(field('a', 'x'.repeat(30)))); // 63 bytes
    decoder.decode(encodeLiteralWithIndexing(field('b', 'y'.repeat(30)))); // evicts a
    assert.equal(decoder.dynamicTableLength, 1);
    assert.deepEqual(strings(decoder.decode(encodeIndexed(62))), [['b', 'y'.repeat(30)]]);
    decoder.decode(Buffer.from([0x20])); // size update to 0 empties the table
    assert.equal(decoder.dynamicTableLength, 0);
    assert.throws(() => decoder.decode(encodeIndexed(62)), /beyond the tables/);
    assert.throws(() => decoder.decode(Buffer.from([0x82, 0x20])), /size update after/);
    assert.throws(() => decoder.decode(Buffer.from([0x80])), /index 0/);
    assert.throws(() => decoder.decode(Buffer.from([0x41, 0x05, 0x61])), /truncated/);
    assert.throws(() => decoder.decode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])), /too large/);
  });

  it('Huffman: the canonical code matches RFC 7541 Appendix B and round-trips every octet', () => {
    assert.deepEqual(huffmanCode(48), { code: 0x0, length: 5 }); // '0'
    assert.deepEqual(huffmanCode(0), { code: 0x1ff8, length: 13 });
    assert.deepEqual(huffmanCode(255), { code: 0x3ffffee, length: 26 });
    assert.deepEqual(huffmanCode(256), { code: 0x3fffffff, length: 30 }); // EOS
    assert.equal(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff')).toString(), 'www.example.com');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.ok(huffmanDecode(huffmanEncode(all)).equals(all));
    assert.throws(() => huffmanDecode(Buffer.from([0x00])), /padding/); // '0' then 3 zero bits
    assert.throws(() => huffmanDecode(Buffer.from([0xff, 0xff, 0xff, 0xff])), /EOS|padding/);
  });
});

describe('authorityWithoutScheme', () => {
  it('keeps host:port, drops scheme and path; leaves plain authorities alone', () => {
    assert.equal(authorityWithoutScheme(Buffer.from('http://127.0.0.1:2379'))?.toString(), '127.0.0.1:2379');
    assert.equal(authorityWithoutScheme(Buffer.from('https://[::1]:2379/a/b?c'))?.toString(), '[::1]:2379');
    assert.equal(authorityWithoutScheme(Buffer.from('127.0.0.1:2379')), undefined);
  });
});

describe('AuthorityRewriter', () => {
  const settings = frame(SETTINGS, 0, 0, Buffer.from([0x00, 0x04, 0x00, 0x40, 0x00, 0x00]));

  it('passthrough: a first block without a scheme forwards every byte untouched, later blocks undecoded', () => {
    // First block: RFC C.4.1 split over HEADERS (padded, with priority) and a CONTINUATION.
    const priority = Buffer.from([0x80, 0x00, 0x00, 0x03, 0x0f]);
    const firstPart = RFC_C4_1.subarray(0, 5);
    const headers = frame(HEADERS, PADDED | PRIORITY | END_STREAM, 1, Buffer.concat([Buffer.from([3]), priority, firstPart, Buffer.alloc(3)]));
    const continuation = frame(CONTINUATION, END_HEADERS, 1, RFC_C4_1.subarray(5));
    // A later block the rewriter could not decode (index 70 is in no table): passthrough must not look.
    const later = frame(HEADERS, END_HEADERS, 3, Buffer.from([0x80 | 70]));
    const data = frame(DATA, END_STREAM, 3, Buffer.alloc(20_000, 7));
    const input = Buffer.concat([HTTP2_CLIENT_PREFACE, settings, headers, continuation, later, data]);
    for (const chunkSize of [1, 7, 100, input.length]) {
      const rewriter = new AuthorityRewriter();
      assert.ok(run(rewriter, input, chunkSize).equals(input), `chunk size ${chunkSize}`);
      assert.equal(rewriter.passthrough, true);
      assert.equal(rewriter.rewrittenBlocks, 0);
    }
  });

  it('rewrite: every block is decoded with the client table and re-encoded as literals', () => {
    const priority = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10]);
    const block1 = Buffer.concat([
      encodeIndexed(3), // :method POST
      encodeIndexed(6), // :scheme http
      encodeLiteralWithIndexing(field(':path', '/etcdserverpb.Maintenance/Status'), true),
      encodeLiteralWithIndexing(field(':authority', 'http://127.0.0.1:2379'), true),
      encodeLiteralWithIndexing(field('content-type', 'application/grpc'), false),
    ]);
    const split = 10;
    const headers1 = frame(HEADERS, PADDED | PRIORITY, 1, Buffer.concat([Buffer.from([4]), priority, block1.subarray(0, split), Buffer.alloc(4)]));
    const continuation1 = frame(CONTINUATION, 0, 1, block1.subarray(split, split + 5));
    const continuation2 = frame(CONTINUATION, END_HEADERS, 1, block1.subarray(split + 5));
    const data1 = frame(DATA, END_STREAM, 1, Buffer.from('request body'));
    // Second block: only references to the client's dynamic table (62 = newest).
    const block2 = Buffer.concat([encodeIndexed(3), encodeIndexed(6), encodeIndexed(64), encodeIndexed(63), encodeIndexed(62)]);
    const headers2 = frame(HEADERS, END_HEADERS | END_STREAM, 3, block2);
    const input = Buffer.concat([HTTP2_CLIENT_PREFACE, settings, headers1, continuation1, continuation2, data1, headers2]);

    for (const chunkSize of [1, 13, input.length]) {
      const rewriter = new AuthorityRewriter();
      const frames = parseFrames(run(rewriter, input, chunkSize));
      assert.equal(rewriter.rewriting, true);
      assert.equal(rewriter.rewrittenBlocks, 2);
      assert.deepEqual(frames.map((f) => [f.type, f.flags, f.streamId]), [
        [SETTINGS, 0, 0],
        [HEADERS, END_HEADERS | PRIORITY, 1],
        [DATA, END_STREAM, 1],
        [HEADERS, END_HEADERS | END_STREAM, 3],
      ]);
      assert.ok(frames[0]!.payload.equals(settings.subarray(9)));
      assert.ok(frames[1]!.payload.subarray(0, 5).equals(priority), 'priority kept, padding dropped');
      assert.equal(frames[2]!.payload.toString(), 'request body');
      const server = new HpackDecoder();
      const expected = [
        [':method', 'POST'], [':scheme', 'http'], [':path', '/etcdserverpb.Maintenance/Status'],
        [':authority', '127.0.0.1:2379'], ['content-type', 'application/grpc'],
      ];
      assert.deepEqual(strings(server.decode(frames[1]!.payload.subarray(5))), expected);
      assert.deepEqual(strings(server.decode(frames[3]!.payload)), expected);
      assert.equal(server.dynamicTableLength, 0, "the server's table stays empty");
    }
  });

  it('rewrite: a large block is split into frames within the maximum frame size', () => {
    const big = 'v'.repeat(40_000);
    const block = Buffer.concat([encodeLiteralWithIndexing(field(':authority', 'http://h:1')), encodeLiteralWithIndexing(field('x-big', big))]);
    const pieces = [block.subarray(0, 16_000), block.subarray(16_000, 32_000), block.subarray(32_000)];
    const input = Buffer.concat([
      HTTP2_CLIENT_PREFACE,
      frame(HEADERS, 0, 5, pieces[0]!),
      frame(CONTINUATION, 0, 5, pieces[1]!),
      frame(CONTINUATION, END_HEADERS, 5, pieces[2]!),
    ]);
    const frames = parseFrames(run(new AuthorityRewriter(), input, 4096));
    assert.deepEqual(frames.map((f) => f.type), [HEADERS, CONTINUATION, CONTINUATION]);
    assert.deepEqual(frames.map((f) => f.flags), [0, 0, END_HEADERS]);
    for (const f of frames) assert.ok(f.payload.length <= MAX_FRAME_PAYLOAD);
    const fields = strings(new HpackDecoder().decode(Buffer.concat(frames.map((f) => f.payload))));
    assert.deepEqual(fields, [[':authority', 'h:1'], ['x-big', big]]);
  });

  it('rejects input it cannot follow', () => {
    const fresh = () => new AuthorityRewriter();
    assert.throws(() => fresh().transform(Buffer.from('PRI * HTTP/1.1\r\n')), /preface/);
    assert.throws(() => fresh().transform(Buffer.concat([HTTP2_CLIENT_PREFACE, frame(CONTINUATION, END_HEADERS, 1, RFC_C4_1)])), /CONTINUATION outside/);
    const open = frame(HEADERS, 0, 1, RFC_C4_1.subarray(0, 3));
    assert.throws(() => fresh().transform(Buffer.concat([HTTP2_CLIENT_PREFACE, open, settings])), /inside the header block/);
    assert.throws(() => fresh().transform(Buffer.concat([HTTP2_CLIENT_PREFACE, frame(HEADERS, END_HEADERS, 1, Buffer.from([0x80 | 70]))])), /beyond the tables/);
    assert.throws(() => fresh().transform(Buffer.concat([HTTP2_CLIENT_PREFACE, frame(HEADERS, END_HEADERS | PADDED, 1, Buffer.from([9, 0x82]))])), /padding/);
  });
});

/** Node's HTTP/2 server behind the rewriting duplex, on a loopback port. */
async function rewritingServer(handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void) {
  const h2 = http2.createServer();
  h2.on('stream', handler);
  const errors: Error[] = [];
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    h2.emit('connection', rewritingAuthority(socket, (error) => errors.push(error)));
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const port = (tcp.address() as net.AddressInfo).port;
  return {
    port,
    errors,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
      h2.close();
    },
  };
}


describe('rewriting duplex with Node HTTP/2 on both sides', () => {
  it('rewrites every request of a connection whose first authority has a scheme (Huffman, indexed by the client)', async () => {
    const server = await rewritingServer((stream, headers) => {
      stream.respond({ ':status': 200 });
      stream.end(String(headers[':authority']));
    });
    const authority = `http://127.0.0.1:${server.port}`;
    const client = http2.connect(`http://127.0.0.1:${server.port}`);
    try {
      for (let i = 0; i < 20; i++) {
        const response = await request(client, { ':path': `/r${i}`, ':authority': authority, 'x-count': String(i) });
        assert.equal(response.body.toString(), `127.0.0.1:${server.port}`);
      }
      const all = await Promise.all(Array.from({ length: 50 }, (_, i) => request(client, { ':path': `/p${i}`, ':authority': authority })));
      for (const response of all) assert.equal(response.body.toString(), `127.0.0.1:${server.port}`);
      assert.deepEqual(server.errors, []);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('carries large bodies both ways (flow control and backpressure), rewritten and passthrough', async () => {
    const server = await rewritingServer((stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        stream.respond({ ':status': 200 });
        stream.end(Buffer.concat([body, body]));
      });
    });
    const body = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    try {
      for (const authority of [`http://127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`]) {
        const client = http2.connect(`http://127.0.0.1:${server.port}`);
        try {
          const [a, b] = await Promise.all([
            request(client, { ':method': 'POST', ':path': '/a', ':authority': authority }, body),
            request(client, { ':method': 'POST', ':path': '/b', ':authority': authority }, body),
          ]);
          for (const response of [a, b]) {
            assert.equal(response.body.length, 2 * body.length);
            assert.ok(response.body.subarray(body.length).equals(body));
          }
        } finally {
          client.close();
        }
      }
      assert.deepEqual(server.errors, []);
    } finally {
      await server.close();
    }
  });

  it('input it cannot follow closes the connection, and the server keeps serving', async () => {
    const server = await rewritingServer((stream) => {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    try {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.resume(); // 'close' waits for the end of the readable side
      await once(socket, 'connect');
      socket.write(Buffer.concat([HTTP2_CLIENT_PREFACE, frame(CONTINUATION, END_HEADERS, 1, Buffer.from([0x82]))]));
      await once(socket, 'close');
      assert.match(String(server.errors[0]), /CONTINUATION outside/);
      const client = http2.connect(`http://127.0.0.1:${server.port}`);
      try {
        assert.equal((await request(client, { ':path': '/' })).body.toString(), 'ok');
      } finally {
        client.close();
      }
    } finally {
      await server.close();
    }
  });
});
