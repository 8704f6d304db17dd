// Randomized: random roles, permissions and users, random changes to them,
// and random key and range checks, each compared with a brute-force model
// of the rules: a permission grants a set of keys; a range is allowed when
// every key in it is granted. Keys are modelled as all strings over a small
// alphabet that is large enough to hold the first key of any gap between
// permissions (see `modelKeys`), so "every model key in the range is granted"
// is the same as "the range is covered" over all byte strings.
// Replay a failure with AUTH_RANDOM_SEED=<seed>.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError } from '../../src/auth/errors.js';
import { PermissionType, type Permission } from '../../src/auth/types.js';
import type { AuthStore } from '../../src/auth/auth-store.js';
import { seededRandom } from '../../src/pkg/seeded-random.js';
import { withAuthStore } from './auth-store-helpers.js';

const EMPTY = Buffer.alloc(0);
const NUL = Buffer.from([0]);
/** Permission and request keys are built from these, 1 or 2 characters long (3 for requests). */
const KEY_ALPHABET = ['a', 'b'];
const MAX_PERMISSION_KEY_LENGTH = 2;

/**
 * Every string of length 1..3 over {\0, a, b, c}. A gap in a union of
 * permission intervals starts at a permission's end: a range_end or prefix
 * end (at most 2 characters, possibly ending in 'c' after an increment) or
 * a single key followed by \0 (at most 3 characters); or at the request's
 * start (at most 3 characters). All of them are model keys.
 */
function modelKeys(): Buffer[] {
  const alphabet = ['\0', 'a', 'b', 'c'];
  const keys: string[] = [];
  let level = [''];
  for (let length = 1; length <= MAX_PERMISSION_KEY_LENGTH + 1; length++) {
    level = level.flatMap((prefix) => alphabet.map((character) => prefix + character));
    keys.push(...level);
  }
  return keys.map((key) => Buffer.from(key, 'latin1'));
}
const MODEL_KEYS = modelKeys();

function prefixEnd(key: Buffer): Buffer {
  const end = Buffer.from(key);
  for (let index = end.length - 1; index >= 0; index--) {
    if (end[index]! < 0xff) {
      end[index]! += 1;
      return end.subarray(0, index + 1);
    }
  }
  return NUL;
}

/** Does the permission grant `key` (brute force, no intervals)? */
function grants(permission: Permission, key: Buffer): boolean {
  if (permission.range_end.length === 0) return key.equals(permission.key);
  if (Buffer.compare(key, permission.key) < 0) return false;
  const openEnded = permission.range_end.length === 1 && permission.range_end[0] === 0;
  return openEnded || Buffer.compare(key, permission.range_end) < 0;
}

interface Model {
  roles: Map<string, Permission[]>;
  users: Map<string, Set<string>>;
}

function modelAllows(model: Model, user: string, type: 'read' | 'write', key: Buffer, rangeEnd: Buffer): boolean | 'no-user' {
  const roles = model.users.get(user);
  if (roles === undefined) return 'no-user';
  if (roles.has('root')) return true;
  const permissions = [...roles].flatMap((role) => model.roles.get(role) ?? []);
  const wanted = type === 'read' ? [PermissionType.READ, PermissionType.READWRITE] : [PermissionType.WRITE, PermissionType.READWRITE];
  const granted = (candidate: Buffer) => permissions.some((permission) => (wanted as number[]).includes(permission.permType) && grants(permission, candidate));
  if (rangeEnd.length === 0) return granted(key);
  const openEnded = rangeEnd.length === 1 && rangeEnd[0] === 0;
  return MODEL_KEYS.every(
    (candidate) => Buffer.compare(candidate, key) < 0 || (!openEnded && Buffer.compare(candidate, rangeEnd) >= 0) || granted(candidate),
  );
}

/** The model of etcd's RoleGrantPermission: the first permission with the key is updated when its range_end matches. */
function modelGrant(permissions: Permission[], permission: Permission): void {
  const first = permissions.find((existing) => existing.key.equals(permission.key));
  if (first !== undefined && first.range_end.equals(permission.range_end)) {
    first.permType = permission.permType;
    return;
  }
  permissions.push({ ...permission });
  permissions.sort((a, b) => Buffer.compare(a.key, b.key));
}

function outcome(action: () => void): string {
  try {
    action();
    return 'ok';
  } catch (error) {
    if (error instanceof AuthError) return error.kind;
    throw error;
  }
}

async function runSeed(seed: number, store: AuthStore): Promise<void> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (probability: number) => random() < probability;
  /** Request keys (`withNul`) may hold "\0" after the first character; permission keys never do (a prefix end would leave the model alphabet). */
  const randomKey = (maxLength: number, withNul = false): Buffer => {
    const length = 1 + Math.floor(random() * maxLength);
    let key = '';
    for (let index = 0; index < length; index++) key += index > 0 && withNul && chance(0.2) ? '\0' : pick(KEY_ALPHABET);
    return Buffer.from(key, 'latin1');
  };
  /** A key range of one of the shapes a client uses: one key, [a, b), prefix, from-key, everything. */
  const randomRange = (maxLength: number, withNul = false): { key: Buffer; rangeEnd: Buffer } => {
    const kind = pick(['key', 'key', 'range', 'range', 'prefix', 'prefix', 'from', 'all'] as const);
    const key = randomKey(maxLength, withNul);
    switch (kind) {
      case 'key':
        return { key, rangeEnd: EMPTY };
      case 'range': {
        let other = randomKey(maxLength, withNul);
        while (other.equals(key)) other = randomKey(maxLength, withNul);
        return Buffer.compare(key, other) < 0 ? { key, rangeEnd: other } : { key: other, rangeEnd: key };
      }
      case 'prefix':
        return { key, rangeEnd: prefixEnd(key) };
      case 'from':
        return { key, rangeEnd: NUL };
      case 'all':
        return { key: NUL, rangeEnd: NUL };
    }
  };

  const model: Model = { roles: new Map(), users: new Map() };
  const roleNames = ['r1', 'r2', 'r3', 'r4', 'r5'];
  const userNames = ['u1', 'u2', 'u3', 'u4'];
  const expectOutcome = (description: string, action: () => void, expected: string) => {
    assert.equal(outcome(action), expected, description);
  };

  store.userAdd({ name: 'root', hashedPassword: '', noPassword: true });
  store.userGrantRole('root', 'root');
  store.enable();
  model.users.set('root', new Set(['root']));

  const mutations: { weight: number; run: () => void }[] = [
    // add a role
    { weight: 2, run: () => {
      const role = pick(roleNames);
      const expected = model.roles.has(role) ? 'roleAlreadyExist' : 'ok';
      expectOutcome(`roleAdd ${role}`, () => store.roleAdd(role), expected);
      if (expected === 'ok') model.roles.set(role, []);
    } },
    // grant a permission (sometimes an invalid range)
    { weight: 8, run: () => {
      const role = pick(roleNames);
      let { key, rangeEnd } = randomRange(MAX_PERMISSION_KEY_LENGTH);
      let invalid = false;
      if (chance(0.1)) {
        key = randomKey(MAX_PERMISSION_KEY_LENGTH);
        rangeEnd = key; // an empty range
        invalid = true;
      }
      const permission: Permission = { permType: pick([PermissionType.READ, PermissionType.WRITE, PermissionType.READWRITE]), key, range_end: rangeEnd };
      const permissions = model.roles.get(role);
      const expected = invalid ? 'invalidAuthMgmt' : permissions === undefined ? 'roleNotFound' : 'ok';
      expectOutcome(`roleGrantPermission ${role}`, () => store.roleGrantPermission(role, { ...permission }), expected);
      if (expected === 'ok') modelGrant(permissions!, permission);
    } },
    // revoke a permission (usually one the role has)
    { weight: 2, run: () => {
      const role = pick(roleNames);
      const permissions = model.roles.get(role);
      const target = permissions !== undefined && permissions.length > 0 && chance(0.8) ? pick(permissions) : { key: randomKey(2), range_end: EMPTY };
      const matching = permissions?.filter((p) => p.key.equals(target.key) && p.range_end.equals(target.range_end)) ?? [];
      const expected = permissions === undefined ? 'roleNotFound' : matching.length === 0 ? 'permissionNotGranted' : 'ok';
      expectOutcome(`roleRevokePermission ${role}`, () => store.roleRevokePermission(role, target.key, target.range_end), expected);
      if (expected === 'ok') model.roles.set(role, permissions!.filter((p) => !matching.includes(p)));
    } },
    // delete a role
    { weight: 1, run: () => {
      const role = pick(roleNames);
      const expected = model.roles.has(role) ? 'ok' : 'roleNotFound';
      expectOutcome(`roleDelete ${role}`, () => store.roleDelete(role), expected);
      if (expected === 'ok') {
        model.roles.delete(role);
        for (const roles of model.users.values()) roles.delete(role);
      }
    } },
    // add a user
    { weight: 2, run: () => {
      const user = pick(userNames);
      const expected = model.users.has(user) ? 'userAlreadyExist' : 'ok';
      expectOutcome(`userAdd ${user}`, () => store.userAdd({ name: user, hashedPassword: '', noPassword: true }), expected);
      if (expected === 'ok') model.users.set(user, new Set());
    } },
    // delete a user
    { weight: 1, run: () => {
      const user = pick(userNames);
      const expected = model.users.has(user) ? 'ok' : 'userNotFound';
      expectOutcome(`userDelete ${user}`, () => store.userDelete(user), expected);
      if (expected === 'ok') model.users.delete(user);
    } },
    // grant a role (sometimes root)
    { weight: 5, run: () => {
      const user = pick(userNames);
      const role = chance(0.05) ? 'root' : pick(roleNames);
      const roles = model.users.get(user);
      const expected = roles === undefined ? 'userNotFound' : role !== 'root' && !model.roles.has(role) ? 'roleNotFound' : 'ok';
      expectOutcome(`userGrantRole ${user} ${role}`, () => store.userGrantRole(user, role), expected);
      if (expected === 'ok') roles!.add(role);
    } },
    // revoke a role
    { weight: 2, run: () => {
      const user = pick(userNames);
      const roles = model.users.get(user);
      const role = roles !== undefined && roles.size > 0 && chance(0.8) ? pick([...roles]) : pick(roleNames);
      const expected = roles === undefined ? 'userNotFound' : roles.has(role) ? 'ok' : 'roleNotGranted';
      expectOutcome(`userRevokeRole ${user} ${role}`, () => store.userRevokeRole(user, role), expected);
      if (expected === 'ok') roles!.delete(role);
    } },
  ];

  const totalWeight = mutations.reduce((sum, mutation) => sum + mutation.weight, 0);
  const mutate = () => {
    let draw = random() * totalWeight;
    for (const mutation of mutations) {
      draw -= mutation.weight;
      if (draw < 0) return mutation.run();
    }
  };
  // Start from a populated store: every role and user, a few permissions and grants.
  for (const role of roleNames) {
    store.roleAdd(role);
    model.roles.set(role, []);
  }
  for (const user of userNames) {
    store.userAdd({ name: user, hashedPassword: '', noPassword: true });
    model.users.set(user, new Set());
  }
  for (let step = 0; step < 25; step++) mutate();

  for (let round = 0; round < 40; round++) {
    mutate();
    // The stored records agree with the model.
    assert.deepEqual(store.roleList(), [...model.roles.keys()].sort());
    for (const [role, permissions] of model.roles) assert.deepEqual(store.roleGet(role), permissions, `roleGet ${role}`);
    assert.deepEqual(store.userList(), [...model.users.keys()].sort());
    for (const [user, roles] of model.users) assert.deepEqual(store.userGet(user).roles, [...roles].sort(), `userGet ${user}`);

    for (let check = 0; check < 30; check++) {
      const user = chance(0.05) ? 'root' : pick(userNames);
      const info = { username: user, revision: store.revision };
      const operation = pick(['range', 'put', 'deleteRange'] as const);
      const { key, rangeEnd } = operation === 'put' ? { key: randomKey(3, true), rangeEnd: EMPTY } : randomRange(3, true);
      const allowed = modelAllows(model, user, operation === 'range' ? 'read' : 'write', key, rangeEnd);
      const expected = allowed === true ? 'ok' : 'permissionDenied';
      const description = `${operation} ${user} [${JSON.stringify(key.toString('latin1'))}, ${JSON.stringify(rangeEnd.toString('latin1'))})`;
      if (operation === 'range') expectOutcome(description, () => store.isRangePermitted(info, key, rangeEnd), expected);
      else if (operation === 'put') expectOutcome(description, () => store.isPutPermitted(info, key), expected);
      else expectOutcome(description, () => store.isDeleteRangePermitted(info, key, rangeEnd), expected);
    }
  }
}

test('randomized permission checks agree with a brute-force model', async () => {
  const fixedSeed = process.env['AUTH_RANDOM_SEED'];
  const seeds = fixedSeed !== undefined ? [Number(fixedSeed)] : Array.from({ length: 12 }, (_, index) => (Date.now() + index * 7919) >>> 0);
  for (const seed of seeds) {
    await withAuthStore(
      async ({ store }) => {
        try {
          await runSeed(seed, store);
        } catch (error) {
          console.error(`auth random test failed with seed ${seed} (rerun with AUTH_RANDOM_SEED=${seed})`);
          throw error;
        }
      },
      { quiet: true },
    )();
  }
});
