// The client transport thread's own HTTP/2 (api/front/h2/) against a real
// third-party implementation: Node's HTTP/2 client (nghttp2), which
// Huffman-codes and indexes its headers, enforces flow control and sends
// its own SETTINGS, PINGs and RST_STREAMs. Plus raw bytes for what a
// well-behaved client never sends.

import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { once } from 'node:events';
import { H2Connection, type H2Stream } from '../../../src/api/front/h2/h2-connection.js';
import { encodeLiteralsWithoutIndexing, type HeaderField } from '../../../src/api/http2/hpack.js';
import { frame } from '../http2/helpers.js';

const field = (name: string, value: string): HeaderField => ({ name: Buffer.from(name), value: Buffer.from(value) });
const OK_HEADERS = encodeLiteralsWithoutIndexing([field(':status', '200'), field('content-type', 'application/test')]);
const TRAILERS = encodeLiteralsWithoutIndexing([field('x-status', 'done')]);

interface Served {
  port: number;
  connections: H2Connection[];
  close(): Promise<void>;
}

type Handler = (stream: H2Stream, headers: Map<string, string>) => void;

const servers: Served[] = [];
const clients: http2.ClientHttp2Session[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

async function serve(handler: Handler, maxConcurrentStreams = 100): Promise<Served> {
  const connections: H2Connection[] = [];
  const server = net.createServer((socket) => {
    connections.push(
      new H2Connection(socket, {
        maxConcurrentStreams,
        onStream: (stream, fields) => handler(stream, new Map(fields.map(({ name, value }) => [name.toString(), value.toString()]))),
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const served: Served = {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: async () => {
      for (const connection of connections) connection.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(served);
  return served;
}

function connect(port: number, settings?: http2.Settings): http2.ClientHttp2Session {
  const client = http2.connect(`http://127.0.0.1:${port}`, settings ? { settings } : {});
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** A request's whole answer: headers, body and trailers. */
function request(client: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer) {
  const stream = client.request({ ':method': 'POST', ...headers });
  const chunks: Buffer[] = [];
  const answer = new Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer; trailers: http2.IncomingHttpHeaders | undefined; rstCode: number }>((resolve, reject) => {
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    stream.on('response', (received) => (responseHeaders = received));
    stream.on('trailers', (received) => (trailers = received));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => resolve({ headers: responseHeaders, body: Buffer.concat(chunks), trailers, rstCode: stream.rstCode }));
  });
  stream.end(body);
  return { stream, answer };
}

/** Echoes the request body back once the client has sent all of it, with headers and trailers. */
const echo: Handler = (stream) => {
  const received: Buffer[] = [];
  stream.onData = (chunk) => received.push(Buffer.from(chunk));
  stream.onEnd = () => {
    stream.respond(OK_HEADERS, false);
    stream.write(Buffer.concat(received));
    stream.sendTrailers(TRAILERS);
  };
};

describe('own HTTP/2 connection, with Node\'s HTTP/2 client', { timeout: 60_000 }, () => {
  it('answers a request with headers, data and trailers, reading Huffman-coded and indexed headers', async () => {
    let seen: Map<string, string> | undefined;
    const served = await serve((stream, headers) => {
      seen = headers;
      echo(stream, headers);
    });
    const client = connect(served.port);
    for (let i = 0; i < 3; i++) {
      // The same headers again: the client now sends them as dynamic table indices.
      const { answer } = request(client, { ':path': '/etcdserverpb.KV/Put', 'user-agent': 'grpc-go/1.2.3', 'x-long-value': 'abcdefghij'.repeat(30) }, Buffer.from(`hello ${i}`));
      const result = await answer;
      assert.equal(result.headers[':status'], 200);
      assert.equal(result.headers['content-type'], 'application/test');
      assert.equal(result.body.toString(), `hello ${i}`);
      assert.equal(result.trailers?.['x-status'], 'done');
      assert.equal(seen?.get(':path'), '/etcdserverpb.KV/Put');
      assert.equal(seen?.get('user-agent'), 'grpc-go/1.2.3');
      assert.equal(seen?.get('x-long-value'), 'abcdefghij'.repeat(30));
      assert.equal(seen?.get(':method'), 'POST');
    }
  });

  it('sends a response larger than the client\'s windows as the client opens them, and says when it went out', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    let writeDone = false;
    const served = await serve((stream) => {
      stream.onEnd = () => {
        stream.respond(OK_HEADERS, false);
        stream.write(big, () => (writeDone = true));
        stream.sendTrailers(TRAILERS);
      };
    });
    // The client's window: 65,535 bytes per stream and per connection, opened as it reads.
    const client = connect(served.port, { initialWindowSize: 65_535 });
    const { answer } = request(client, { ':path': '/big' });
    const result = await answer;
    assert.equal(result.body.length, big.length);
    assert.ok(result.body.equals(big));
    assert.equal(result.trailers?.['x-status'], 'done');
    assert.ok(writeDone);
  });

  it('takes a request larger than its initial windows (it opens them as it reads)', async () => {
    const served = await serve(echo);
    const client = connect(served.port);
    const body = Buffer.alloc(3 * 1024 * 1024, 0x5a);
    const { answer } = request(client, { ':path': '/upload' }, body);
    const result = await answer;
    assert.equal(result.body.length, body.length);
    assert.ok(result.body.equals(body));
  });

  it('serves many concurrent streams on one connection', async () => {
    const served = await serve(echo);
    const client = connect(served.port);
    const answers = Array.from({ length: 300 }, (_, i) => request(client, { ':path': `/n/${i}` }, Buffer.from(String(i))).answer);
    const results = await Promise.all(answers);
    results.forEach((result, i) => assert.equal(result.body.toString(), String(i)));
  });

  it('hears a client\'s RST_STREAM and drops what it still had to send', async () => {
    let closed: () => void = () => undefined;
    const streamClosed = new Promise<void>((resolve) => (closed = resolve));
    let serverStream: H2Stream | undefined;
    const served = await serve((stream) => {
      serverStream = stream;
      stream.onClose = closed;
      stream.respond(OK_HEADERS, false);
      stream.write(Buffer.alloc(1024));
    });
    const client = connect(served.port);
    const stream = client.request({ ':method': 'POST', ':path': '/watch' });
    stream.on('error', () => undefined);
    await once(stream, 'response');
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await streamClosed;
    assert.equal(serverStream?.closed, true);
    // Writing to it now is harmless.
    let doneCalled = false;
    serverStream!.write(Buffer.alloc(10), () => (doneCalled = true));
    assert.ok(doneCalled);
  });

  it('answers before the request ends: the client is told to stop sending, without error', async () => {
    const served = await serve((stream) => {
      stream.respond(OK_HEADERS, false);
      stream.write(Buffer.from('early'));
      stream.sendTrailers(TRAILERS);
    });
    const client = connect(served.port);
    const stream = client.request({ ':method': 'POST', ':path': '/early' });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.write(Buffer.alloc(100));
    await once(stream, 'close');
    assert.equal(Buffer.concat(chunks).toString(), 'early');
    assert.equal(stream.rstCode, http2.constants.NGHTTP2_NO_ERROR);
  });

  it('answers PINGs', async () => {
    const served = await serve(echo);
    const client = connect(served.port);
    await once(client, 'connect');
    const payload = Buffer.from('12345678');
    const echoed = await new Promise<Buffer>((resolve, reject) => client.ping(payload, (error, _ms, answer) => (error ? reject(error) : resolve(answer))));
    assert.ok(echoed.equals(payload));
  });

  it('closes gracefully: open streams finish, then the connection ends', async () => {
    let open: H2Stream | undefined;
    const served = await serve((stream) => (open = stream));
    const client = connect(served.port);
    const { answer } = request(client, { ':path': '/slow' });
    while (open === undefined) await new Promise((resolve) => setImmediate(resolve));
    const connection = served.connections[0];
    const connectionClosed = once(connection, 'close');
    const goaway = once(client, 'goaway');
    connection.close();
    await goaway;
    assert.equal(connection.destroyed, false, 'still open while a stream is');
    open.respond(OK_HEADERS, false);
    open.write(Buffer.from('last words'));
    open.sendTrailers(TRAILERS);
    const result = await answer;
    assert.equal(result.body.toString(), 'last words');
    await connectionClosed;
    assert.equal(connection.destroyed, true);
  });

  it('announces its concurrency limit, and a client that honours it is served', async () => {
    const held: H2Stream[] = [];
    const served = await serve((stream) => held.push(stream), 2);
    const client = connect(served.port);
    await once(client, 'remoteSettings');
    assert.equal(client.remoteSettings.maxConcurrentStreams, 2);
    const first = request(client, { ':path': '/1' });
    const second = request(client, { ':path': '/2' });
    while (held.length < 2) await new Promise((resolve) => setImmediate(resolve));
    for (const stream of held) {
      stream.respond(OK_HEADERS, false);
      stream.sendTrailers(TRAILERS);
    }
    assert.equal((await first.answer).headers[':status'], 200);
    assert.equal((await second.answer).headers[':status'], 200);
  });
});

describe('own HTTP/2 connection, raw bytes', { timeout: 60_000 }, () => {
  async function rawExchange(bytes: Buffer): Promise<Buffer> {
    const served = await serve(echo);
    const socket = net.connect(served.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    socket.write(bytes);
    await once(socket, 'close');
    return Buffer.concat(received);
  }

  /** The frames in `bytes`, as [type, flags, stream, payload]. */
  function framesOf(bytes: Buffer): Array<[number, number, number, Buffer]> {
    const frames: Array<[number, number, number, Buffer]> = [];
    let offset = 0;
    while (offset + 9 <= bytes.length) {
      const length = bytes.readUIntBE(offset, 3);
      frames.push([bytes[offset + 3], bytes[offset + 4], bytes.readUInt32BE(offset + 5), bytes.subarray(offset + 9, offset + 9 + length)]);
      offset += 9 + length;
    }
    return frames;
  }

  it('sends no more DATA than the client\'s stream window allows, and the rest once it grows', async () => {
    const body = Buffer.alloc(1000, 0x61);
    const served = await serve((stream) => {
      stream.onEnd = () => {
        stream.respond(OK_HEADERS, false);
        stream.write(body);
        stream.sendTrailers(TRAILERS);
      };
    });
    const socket = net.connect(served.port, '127.0.0.1');
    socket.on('error', () => undefined);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    await once(socket, 'connect');
    const settings = Buffer.alloc(6);
    settings.writeUInt16BE(0x4, 0);
    settings.writeUInt32BE(100, 2);
    const block = encodeLiteralsWithoutIndexing([field(':method', 'POST'), field(':path', '/window'), field(':scheme', 'http'), field(':authority', 'x')]);
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(0x4, 0, 0, settings), frame(0x1, 0x4 | 0x1, 1, block)]));
    const dataOn1 = () => framesOf(received).filter(([type, , stream]) => type === 0x0 && stream === 1).reduce((sum, [, , , payload]) => sum + payload.length, 0);
    const trailersOn1 = () => framesOf(received).filter(([type, flags, stream]) => type === 0x1 && stream === 1 && (flags & 0x1) !== 0).length;
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await until(() => dataOn1() >= 100);
    // Give the server every chance to send more than it may.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(dataOn1(), 100);
    assert.equal(trailersOn1(), 0);
    const increment = Buffer.alloc(4);
    increment.writeUInt32BE(900, 0);
    socket.write(frame(0x8, 0, 1, increment));
    await until(() => trailersOn1() === 1);
    assert.equal(dataOn1(), 1000);
    socket.destroy();
  });

  it('refuses a stream beyond its concurrency limit with RST_STREAM REFUSED_STREAM, and serves the others', async () => {
    const held: H2Stream[] = [];
    const served = await serve((stream) => held.push(stream), 2);
    const socket = net.connect(served.port, '127.0.0.1');
    socket.on('error', () => undefined);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    await once(socket, 'connect');
    const block = encodeLiteralsWithoutIndexing([field(':method', 'POST'), field(':path', '/held'), field(':scheme', 'http'), field(':authority', 'x')]);
    // Three streams at once, ignoring the limit of two the server announced.
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(0x4, 0, 0, Buffer.alloc(0)), frame(0x1, 0x4 | 0x1, 1, block), frame(0x1, 0x4 | 0x1, 3, block), frame(0x1, 0x4 | 0x1, 5, block)]));
    const resetOf = (stream: number) => framesOf(received).find(([type, , id]) => type === 0x3 && id === stream);
    while (resetOf(5) === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(resetOf(5)![3].readUInt32BE(0), 0x7);
    assert.deepEqual(held.map((stream) => stream.id), [1, 3]);
    assert.equal(resetOf(1), undefined);
    assert.equal(resetOf(3), undefined);
    socket.destroy();
  });

  it('ends a connection that does not start with the preface, with GOAWAY PROTOCOL_ERROR', async () => {
    const answer = await rawExchange(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const goaway = framesOf(answer).find(([type]) => type === 0x7);
    assert.ok(goaway, 'a GOAWAY frame');
    assert.equal(goaway[3].readUInt32BE(4), 0x1);
  });

  it('ends a connection whose header block cannot be decoded, with GOAWAY COMPRESSION_ERROR', async () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const settings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    // HEADERS on stream 1, END_HEADERS: an indexed field beyond both tables.
    const headers = Buffer.from([0, 0, 2, 0x1, 0x4, 0, 0, 0, 1, 0xff, 0x7f]);
    const answer = await rawExchange(Buffer.concat([preface, settings, headers]));
    const goaway = framesOf(answer).find(([type]) => type === 0x7);
    assert.ok(goaway, 'a GOAWAY frame');
    assert.equal(goaway[3].readUInt32BE(4), 0x9);
  });

  it('ends a connection that sends a frame over the maximum size, with GOAWAY FRAME_SIZE_ERROR', async () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const huge = Buffer.alloc(9 + 20_000);
    huge.writeUIntBE(20_000, 0, 3);
    huge[3] = 0x0;
    huge.writeUInt32BE(1, 5);
    const answer = await rawExchange(Buffer.concat([preface, huge]));
    const goaway = framesOf(answer).find(([type]) => type === 0x7);
    assert.ok(goaway, 'a GOAWAY frame');
    assert.equal(goaway[3].readUInt32BE(4), 0x6);
  });
});
