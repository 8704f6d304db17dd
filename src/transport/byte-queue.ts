// Bytes received but not yet consumed, kept as the chunks the socket gave
// us: nothing is copied until a caller takes a whole unit (a frame, a
// header), and a unit that lies inside one chunk is handed out as a view.

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private headOffset = 0;
  private lengthBytes = 0;

  get length(): number {
    return this.lengthBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.lengthBytes += chunk.length;
  }

  /** The unsigned 32-bit big-endian integer at the front; needs length ≥ 4. */
  peekUInt32BE(): number {
    const head = this.chunks[0]!;
    if (head.length - this.headOffset >= 4) return head.readUInt32BE(this.headOffset);
    return this.copyFront(4).readUInt32BE(0);
  }

  /** A copy of the first `count` bytes, left in place; needs length ≥ count. */
  peek(count: number): Buffer {
    if (count > this.lengthBytes) throw new RangeError(`peek ${count} of ${this.lengthBytes} bytes`);
    return this.copyFront(count);
  }

  /** Removes and returns the first `count` bytes; needs length ≥ count. */
  take(count: number): Buffer {
    if (count > this.lengthBytes) throw new RangeError(`take ${count} of ${this.lengthBytes} bytes`);
    const head = this.chunks[0];
    if (count === 0 || head === undefined) return Buffer.alloc(0);
    if (head.length - this.headOffset >= count) {
      const view = head.subarray(this.headOffset, this.headOffset + count);
      this.skip(count);
      return view;
    }
    const copy = this.copyFront(count);
    this.skip(count);
    return copy;
  }

  /** Removes and returns whatever chunk data is at the front, at most `maxBytes`, without copying. */
  takeChunk(maxBytes: number): Buffer {
    const head = this.chunks[0];
    if (head === undefined || maxBytes <= 0) return Buffer.alloc(0);
    const count = Math.min(maxBytes, head.length - this.headOffset);
    const view = head.subarray(this.headOffset, this.headOffset + count);
    this.skip(count);
    return view;
  }

  clear(): void {
    this.chunks = [];
    this.headOffset = 0;
    this.lengthBytes = 0;
  }

  private copyFront(count: number): Buffer {
    const copy = Buffer.allocUnsafe(count);
    let copied = 0;
    let offset = this.headOffset;
    for (const chunk of this.chunks) {
      const part = Math.min(count - copied, chunk.length - offset);
      chunk.copy(copy, copied, offset, offset + part);
      copied += part;
      offset = 0;
      if (copied === count) break;
    }
    return copy;
  }

  private skip(count: number): void {
    this.lengthBytes -= count;
    while (count > 0) {
      const head = this.chunks[0]!;
      const available = head.length - this.headOffset;
      if (count < available) {
        this.headOffset += count;
        return;
      }
      count -= available;
      this.chunks.shift();
      this.headOffset = 0;
    }
  }
}
