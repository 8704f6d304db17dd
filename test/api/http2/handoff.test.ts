// The client port's HTTP/2 hand-off (src/api/http2/handoff.ts): which
// connections reach the server on their socket and which through the
// :authority rewriter, with Node's HTTP/2 client and server on either side.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { once } from 'node:events';
import { frame, request } from './helpers.js';
import { AuthorityRewriter, HTTP2_CLIENT_PREFACE } from '../../../src/api/http2/authority-rewriter.js';
import { DECIDE_TIMEOUT_MS, EMPTY_SETTINGS_FRAME, handOffHttp2Connection } from '../../../src/api/http2/handoff.js';
import { encodeLiteralWithIndexing } from './hpack-encoder.js';

const HEADERS = 0x1;
const SETTINGS = 0x4;
const PING = 0x6;
const ACK = 0x1;
const END_HEADERS = 0x4;
const END_STREAM = 0x1;


function headerBlock(authority: string): Buffer {
  const field = (name: string, value: string) => encodeLiteralWithIndexing({ name: Buffer.from(name), value: Buffer.from(value) });
  return Buffer.concat([field(':method', 'GET'), field(':path', '/'), field(':scheme', 'http'), field(':authority', authority)]);
}

type Path = 'socket' | 'rewriter';

/** A setting the server sends, to tell its SETTINGS from the stand-in. */
const SERVER_MAX_CONCURRENT_STREAMS = 123;

/** Node's HTTP/2 server behind the hand-off, on a loopback port; records each connection's path. */
async function handOffServer(handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void) {
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: SERVER_MAX_CONCURRENT_STREAMS } });
  h2.on('stream', handler);
  const paths: Path[] = [];
  const errors: Error[] = [];
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    handOffHttp2Connection(
      socket,
      {
        viaSocket: (connection) => {
          paths.push('socket');
          h2.emit('connection', connection);
        },
        viaRewriter: (connection) => {
          paths.push('rewriter');
          h2.emit('connection', connection);
        },
      },
      (error) => errors.push(error),
    );
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const port = (tcp.address() as net.AddressInfo).port;
  return {
    port,
    paths,
    errors,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
      h2.close();
    },
  };
}


async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const echoAuthority = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
  stream.respond({ ':status': 200 });
  stream.end(String(headers[':authority']));
};

describe('AuthorityRewriter dropping the first SETTINGS ACK', () => {
  it('drops exactly one empty ACK, before or after the first header block, and forwards all else', () => {
    const settingsAck = frame(SETTINGS, ACK, 0, Buffer.alloc(0));
    const clientSettings = frame(SETTINGS, 0, 0, Buffer.alloc(0));
    const headers = frame(HEADERS, END_HEADERS | END_STREAM, 1, headerBlock('127.0.0.1:1'));
    const ping = frame(PING, 0, 0, Buffer.alloc(8, 7));
    for (const order of [
      [clientSettings, settingsAck, headers, ping, settingsAck],
      [clientSettings, headers, ping, settingsAck, settingsAck],
    ]) {
      const input = Buffer.concat([HTTP2_CLIENT_PREFACE, ...order]);
      // Byte by byte: frames split anywhere must still be found.
      const rewriter = new AuthorityRewriter({ dropFirstSettingsAck: true });
      const output: Buffer[] = [];
      for (let i = 0; i < input.length; i++) output.push(...rewriter.transform(input.subarray(i, i + 1)));
      assert.equal(rewriter.awaitingSettingsAck, false);
      assert.equal(rewriter.passthrough, true);
      const expected = Buffer.concat([HTTP2_CLIENT_PREFACE, clientSettings, headers, ping, settingsAck]);
      assert.ok(Buffer.concat(output).equals(expected), 'one ACK dropped, the rest in order');
    }
  });

  it('without the option, an ACK is forwarded like any frame', () => {
    const input = Buffer.concat([HTTP2_CLIENT_PREFACE, frame(SETTINGS, ACK, 0, Buffer.alloc(0))]);
    const rewriter = new AuthorityRewriter();
    assert.ok(Buffer.concat(rewriter.transform(input)).equals(input));
    assert.equal(rewriter.awaitingSettingsAck, false);
  });
});

describe('HTTP/2 hand-off with Node HTTP/2 on both sides', () => {
  it('a connection whose first authority has no scheme goes to the server on its socket', async () => {
    const server = await handOffServer(echoAuthority);
    const client = http2.connect(`http://127.0.0.1:${server.port}`);
    try {
      for (let i = 0; i < 20; i++) {
        const response = await request(client, { ':path': `/r${i}` });
        assert.equal(response.body.toString(), `127.0.0.1:${server.port}`);
      }
      const all = await Promise.all(Array.from({ length: 50 }, (_, i) => request(client, { ':path': `/p${i}` })));
      for (const response of all) assert.equal(response.body.toString(), `127.0.0.1:${server.port}`);
      // The server's own SETTINGS reached the client after the stand-in.
      assert.equal(client.remoteSettings.maxConcurrentStreams, SERVER_MAX_CONCURRENT_STREAMS);
      await new Promise<void>((resolve, reject) => client.ping((error) => (error ? reject(error) : resolve())));
      assert.deepEqual(server.paths, ['socket']);
      assert.deepEqual(server.errors, []);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a connection whose first authority has a scheme goes through the rewriter', async () => {
    const server = await handOffServer(echoAuthority);
    const client = http2.connect(`http://127.0.0.1:${server.port}`);
    try {
      const authority = `http://127.0.0.1:${server.port}`;
      for (let i = 0; i < 5; i++) {
        assert.equal((await request(client, { ':path': `/r${i}`, ':authority': authority })).body.toString(), `127.0.0.1:${server.port}`);
      }
      assert.deepEqual(server.paths, ['rewriter']);
      assert.deepEqual(server.errors, []);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a client that waits before its first request is served through the rewriter after the timeout', async () => {
    const server = await handOffServer(echoAuthority);
    const client = http2.connect(`http://127.0.0.1:${server.port}`);
    try {
      await once(client, 'connect');
      const started = Date.now();
      await waitFor(() => server.paths.length > 0, DECIDE_TIMEOUT_MS + 10_000);
      assert.ok(Date.now() - started >= DECIDE_TIMEOUT_MS / 2);
      assert.deepEqual(server.paths, ['rewriter']);
      await new Promise<void>((resolve, reject) => client.ping((error) => (error ? reject(error) : resolve())));
      assert.equal((await request(client, { ':path': '/late' })).body.toString(), `127.0.0.1:${server.port}`);
      assert.deepEqual(server.errors, []);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('large bodies cross the socket path both ways', async () => {
    const server = await handOffServer((stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(Buffer.concat(chunks));
      });
    });
    const body = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const client = http2.connect(`http://127.0.0.1:${server.port}`);
    try {
      const responses = await Promise.all([1, 2].map(() => request(client, { ':method': 'POST', ':path': '/echo' }, body)));
      for (const response of responses) assert.ok(response.body.equals(body));
      assert.deepEqual(server.paths, ['socket']);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('the server preface is the stand-in SETTINGS, and input the rewriter cannot follow closes the connection', async () => {
    const server = await handOffServer(echoAuthority);
    try {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      await once(socket, 'connect');
      await waitFor(() => Buffer.concat(received).length >= EMPTY_SETTINGS_FRAME.length);
      assert.ok(Buffer.concat(received).equals(EMPTY_SETTINGS_FRAME));
      socket.write(Buffer.concat([HTTP2_CLIENT_PREFACE, frame(0x9, END_HEADERS, 1, Buffer.from([0x82]))]));
      await once(socket, 'close');
      assert.match(String(server.errors[0]), /CONTINUATION outside/);
      assert.deepEqual(server.paths, []);
      const client = http2.connect(`http://127.0.0.1:${server.port}`);
      try {
        assert.equal((await request(client, { ':path': '/' })).body.toString(), `127.0.0.1:${server.port}`);
      } finally {
        client.close();
      }
    } finally {
      await server.close();
    }
  });
});
