// Splits a byte stream into length-prefixed frames. The length is checked
// against the bound before any payload is buffered, so a garbage length
// costs nothing: the caller closes the connection on FrameError.

import { ByteQueue } from './byte-queue.js';
import { FRAME_HEADER_BYTES } from './wire.js';

export class FrameError extends Error {}

export class FrameDecoder {
  private readonly pending = new ByteQueue();

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held for an incomplete frame; never more than one frame plus a chunk. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): void {
    this.pending.push(chunk);
  }

  /** The next whole frame's payload, or undefined until more bytes arrive. Throws FrameError on a bad length. */
  next(): Buffer | undefined {
    if (this.pending.length < FRAME_HEADER_BYTES) return undefined;
    const payloadBytes = this.pending.peekUInt32BE();
    if (payloadBytes === 0) throw new FrameError('empty frame');
    if (payloadBytes > this.maxFrameBytes) throw new FrameError(`frame of ${payloadBytes} bytes exceeds the limit of ${this.maxFrameBytes}`);
    if (this.pending.length < FRAME_HEADER_BYTES + payloadBytes) return undefined;
    this.pending.take(FRAME_HEADER_BYTES);
    return this.pending.take(payloadBytes);
  }

  /** Hands over the bytes after the frames consumed so far (the snapshot body follows its header frame). */
  rest(): ByteQueue {
    return this.pending;
  }
}
