// One end of the link between the member's thread and the client transport
// thread. Messages go in batches, one postMessage per event-loop turn, since
// each postMessage costs a wake-up and a task on the other side whatever it
// carries. Every payload of a batch (protobuf bytes, HTTP/1 chunks) is copied
// into one ArrayBuffer that is transferred, not cloned: a Node Buffer is a
// view into an 8 KiB pool slab, and structured clone would copy the slab.

/** What a worker_threads Worker and parentPort have in common. */
export interface PortLike {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
}

/** A message that may carry bytes: `payload` travels in the batch's shared buffer. */
export interface WithPayload {
  payload?: Uint8Array | undefined;
}

interface Batch {
  messages: WithPayload[];
  /** Per message: offset and length of its payload in `bytes`, or -1 and 0. */
  spans: Int32Array;
  bytes: ArrayBuffer;
}

export class BatchedPort<Outgoing extends object, Incoming extends object> {
  private queued: Outgoing[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly port: PortLike,
    receive: (message: Incoming & { payload?: Buffer }) => void,
    /** After the last message of each batch received (to act on what the batch gathered). */
    afterBatch?: () => void,
    /** A message whose handling threw: the rest of its batch is still handled. */
    onReceiveError: (error: unknown) => void = (error) => {
      throw error;
    },
  ) {
    port.on('message', (value) => {
      const batch = value as Batch;
      const { messages, spans, bytes } = batch;
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i] as Incoming & { payload?: Buffer };
        const offset = spans[2 * i];
        if (offset >= 0) message.payload = Buffer.from(bytes, offset, spans[2 * i + 1]);
        try {
          receive(message);
        } catch (error) {
          onReceiveError(error);
        }
      }
      afterBatch?.();
    });
  }

  send(message: Outgoing): void {
    this.queued.push(message);
    const payload = (message as WithPayload).payload;
    if (payload !== undefined) this.queuedBytes += payload.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After this turn's I/O callbacks: what they all queued goes in one batch.
      setImmediate(this.flush);
    }
  }

  /** Sends what is queued now (before a shutdown, say). */
  readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.queued.length === 0) return;
    const messages = this.queued as WithPayload[];
    const bytes = new ArrayBuffer(this.queuedBytes);
    this.queued = [];
    this.queuedBytes = 0;
    const view = new Uint8Array(bytes);
    const spans = new Int32Array(messages.length * 2);
    let offset = 0;
    for (let i = 0; i < messages.length; i++) {
      const payload = messages[i].payload;
      if (payload === undefined) {
        spans[2 * i] = -1;
        continue;
      }
      view.set(payload, offset);
      spans[2 * i] = offset;
      spans[2 * i + 1] = payload.length;
      offset += payload.length;
      messages[i].payload = undefined;
    }
    const batch: Batch = { messages, spans, bytes };
    this.port.postMessage(batch, [bytes]);
  };
}
