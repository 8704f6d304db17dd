// A Kubernetes API server's pattern of etcd use, as in its etcd3 storage layer:
//   create  Txn(mod_revision(key) == 0 ? put : get)
//   update  Txn(mod_revision(key) == last seen ? put : get)    (GuaranteedUpdate)
//   delete  Txn(mod_revision(key) == last seen ? delete : get)
//   get     Range(key), linearizable
//   list    Range over one namespace with limit --k8s-page-size, later pages
//           at the first page's revision (continue tokens); one sample per list
// plus --k8s-watchers-per-worker watchers per worker on the whole prefix with
// prev_kv, whose delivery latency is reported as kind "watch-delivery".
// Each client owns the objects it creates, so compares fail only by design.

import type { Workload, WorkerSideTask } from './workload.js';
import { UnsupportedByTarget } from './workload.js';
import { describeError, openWatch, prefixRangeEnd, type Connection } from '../grpc-connection.js';
import { absoluteNowMs } from '../recorder.js';
import { requestsForClient, type WorkloadOptions } from '../workload-options.js';
import { randomValue, seededRandom, timestampedValue, timestampOf } from './keys.js';
import { seedKeys } from './range.js';

const REGISTRY_PREFIX = '/registry/pods/';
const COMPARE_MOD = 2;
const COMPARE_EQUAL = 0;

/** Operation mix in percent; lists are costly and rarer, as in a real cluster. */
const MIX: Array<[kind: 'create' | 'update' | 'delete' | 'get' | 'list', percent: number]> = [
  ['create', 15],
  ['update', 45],
  ['delete', 5],
  ['get', 25],
  ['list', 10],
];

function namespacePrefix(namespace: number): string {
  return `${REGISTRY_PREFIX}ns-${namespace}/`;
}

function seededObjectKey(index: number, options: WorkloadOptions): Buffer {
  return Buffer.from(`${namespacePrefix(index % options.k8sNamespaceCount)}seed-${index}`);
}

function guardedTxn(key: Buffer, modRevision: number, success: object) {
  return {
    compare: [{ result: COMPARE_EQUAL, target: COMPARE_MOD, key, mod_revision: modRevision }],
    success: [success],
    failure: [{ request_range: { key } }],
  };
}

function pickOperation(random: () => number): (typeof MIX)[number][0] {
  let roll = random() * 100;
  for (const [kind, percent] of MIX) {
    if (roll < percent) return kind;
    roll -= percent;
  }
  return 'get';
}

async function listNamespace(connection: Connection, prefix: Buffer, pageSize: number): Promise<number> {
  const rangeEnd = prefixRangeEnd(prefix);
  let key = prefix;
  let revision = 0;
  let objectCount = 0;
  for (;;) {
    const page = await connection.kv.Range({ key, range_end: rangeEnd, limit: pageSize, revision });
    objectCount += page.kvs.length;
    if (!page.more || page.kvs.length === 0) return objectCount;
    revision ||= page.header.revision;
    key = Buffer.concat([page.kvs[page.kvs.length - 1].key, Buffer.from([0])]);
  }
}

export const k8sLikeWorkload: Workload = {
  name: 'k8s-like',
  description: 'Kubernetes-style mix: guarded txn create/update/delete, get, paginated list, prefix watch with prev_kv',
  headlineKinds: ['create', 'update', 'delete', 'get', 'list'],
  async prepare(connection, { options, seed }) {
    try {
      const probe = await openWatch(connection, { key: Buffer.from(REGISTRY_PREFIX), range_end: prefixRangeEnd(Buffer.from(REGISTRY_PREFIX)), prev_kv: true }, () => {}, 3_000);
      probe.close();
    } catch (error) {
      throw new UnsupportedByTarget(`Watch (needed by the k8s mix): ${describeError(error)}`);
    }
    const value = randomValue(options.k8sValueSizeBytes, seededRandom(seed));
    await seedKeys(connection, options.k8sSeedObjectCount, (index) => seededObjectKey(index, options), value);
  },
  async createClient({ clientId, connection, parameters, recorder }) {
    const { options, clientCount, requestsTotal, seed } = parameters;
    const random = seededRandom(seed + clientId);
    const filler = randomValue(options.k8sValueSizeBytes, random);
    const owned = new Map<string, { key: Buffer; modRevision: number }>();
    const ownedNames: string[] = [];
    let created = 0;
    const requestCount = requestsForClient(clientId, clientCount, requestsTotal);

    const forget = (name: string) => {
      owned.delete(name);
      const position = ownedNames.indexOf(name);
      ownedNames[position] = ownedNames[ownedNames.length - 1]!;
      ownedNames.pop();
    };
    const pickOwned = () => owned.get(ownedNames[Math.floor(random() * ownedNames.length)]!)!;
    const learnFromFailure = (name: string, response: any) => {
      const current = response.responses[0]?.response_range?.kvs?.[0];
      if (current) owned.get(name)!.modRevision = current.mod_revision;
      else forget(name);
    };

    const create = async () => {
      const name = `${namespacePrefix(Math.floor(random() * options.k8sNamespaceCount))}pod-${clientId}-${created++}`;
      const key = Buffer.from(name);
      const response = await recorder.measure('create', () => connection.kv.Txn(guardedTxn(key, 0, { request_put: { key, value: timestampedValue(filler) } })));
      if (response?.succeeded) {
        owned.set(name, { key, modRevision: response.header.revision });
        ownedNames.push(name);
      }
    };
    const update = async () => {
      const object = pickOwned();
      const name = object.key.toString();
      const response = await recorder.measure('update', () => connection.kv.Txn(guardedTxn(object.key, object.modRevision, { request_put: { key: object.key, value: timestampedValue(filler) } })));
      if (!response) return;
      if (response.succeeded) object.modRevision = response.header.revision;
      else learnFromFailure(name, response);
    };
    const remove = async () => {
      const object = pickOwned();
      const name = object.key.toString();
      const response = await recorder.measure('delete', () => connection.kv.Txn(guardedTxn(object.key, object.modRevision, { request_delete_range: { key: object.key } })));
      if (!response) return;
      if (response.succeeded) forget(name);
      else learnFromFailure(name, response);
    };
    const get = async () => {
      const key = ownedNames.length > 0 ? pickOwned().key : seededObjectKey(Math.floor(random() * options.k8sSeedObjectCount), options);
      await recorder.measure('get', () => connection.kv.Range({ key }));
    };
    const list = async () => {
      const prefix = Buffer.from(namespacePrefix(Math.floor(random() * options.k8sNamespaceCount)));
      await recorder.measure('list', () => listNamespace(connection, prefix, options.k8sPageSize));
    };

    return {
      async run() {
        for (let sent = 0; sent < requestCount && !recorder.shouldStop; sent++) {
          let operation = pickOperation(random);
          if ((operation === 'update' || operation === 'delete') && ownedNames.length === 0) operation = 'create';
          if (operation === 'create') await create();
          else if (operation === 'update') await update();
          else if (operation === 'delete') await remove();
          else if (operation === 'get') await get();
          else await list();
        }
      },
      close() {},
    };
  },
  async createWorkerSideTask({ connection, parameters, recorder }): Promise<WorkerSideTask> {
    const prefix = Buffer.from(REGISTRY_PREFIX);
    const watches: Array<{ close(): void }> = [];
    for (let index = 0; index < parameters.options.k8sWatchersPerWorker; index++) {
      watches.push(
        await openWatch(connection, { key: prefix, range_end: prefixRangeEnd(prefix), prev_kv: true }, (response) => {
          const receivedMs = absoluteNowMs();
          for (const event of response.events) {
            // Deletes carry no value; their prev_kv holds the last write's time, not the delete's.
            const sentMs = event.kv?.value?.length ? timestampOf(event.kv.value) : undefined;
            if (sentMs !== undefined) recorder.sample('watch-delivery', receivedMs - sentMs);
          }
        }),
      );
    }
    return {
      async finish() {
        // Let the last events arrive before the streams go.
        await new Promise((resolve) => setTimeout(resolve, 200));
        for (const watch of watches) watch.close();
      },
    };
  },
};
