// The auth store: users, roles, their permissions and the enabled flag, kept
// in the backend's auth, authUsers and authRoles buckets exactly as etcd 3.5
// keeps them (server/auth/store.go), and the permission checks made for
// every request once auth is enabled.
//
// Mutations run while a committed Raft entry is applied, on every member:
// they are synchronous and deterministic, write through the backend's batch,
// and either succeed (bumping the auth revision where etcd does) or throw an
// AuthError having changed nothing. Reads and checks read the backend (which
// sees the batch's pending writes at once); the per-user merged permissions
// are cached and the cache is dropped on every change and on recover().

import { createHash } from 'node:crypto';
import { BcryptLimiter } from './bcrypt-limiter.js';
import { EtcdError } from '../pkg/etcd-error.js';
import { hash as bcryptHash, hashSync as bcryptHashSync, verify as bcryptVerify } from '@node-rs/bcrypt';
import type { Backend } from '../backend/backend.js';
import { encodeUint64BigEndian, readUint64BigEndian } from '../backend/uint64.js';
import type { Logger } from '../pkg/logger.js';
import { decodeRole, decodeUser, encodeRole, encodeUser, type PermissionRecord, type RoleRecord, type UserRecord } from './auth-records.js';
import { authErrors } from './errors.js';
import { isValidPermissionRange, UnifiedRangePermissions, type CheckedPermissionType } from './range-permissions.js';
import { PermissionType, type AuthInfo, type Permission, type TokenProvider } from './types.js';

const AUTH_BUCKET = 'auth';
const USERS_BUCKET = 'authUsers';
const ROLES_BUCKET = 'authRoles';

const enableFlagKey = Buffer.from('authEnabled');
const authEnabledValue = Buffer.from([1]);
const authDisabledValue = Buffer.from([0]);
const revisionKey = Buffer.from('authRevision');

const ROOT_USER = 'root';
const ROOT_ROLE = 'root';

/** golang.org/x/crypto/bcrypt's limits and default. */
export const BCRYPT_MIN_COST = 4;
export const BCRYPT_MAX_COST = 31;
export const BCRYPT_DEFAULT_COST = 10;

const EMPTY: Buffer = Buffer.alloc(0);
const permissionTypeNames: Record<number, string> = { 0: 'READ', 1: 'WRITE', 2: 'READWRITE' };

export interface AuthStoreOptions {
  logger: Logger;
  tokenProvider: TokenProvider;
  /** bcrypt cost for hashPassword; outside [4, 31] etcd falls back to 10 (with a warning). */
  bcryptCost: number;
}

/** etcd's AuthUserAddRequest as applied. */
export interface UserAddRequest {
  name: string;
  /** base64 of the bcrypt hash (AuthUserAddRequest.hashed_password, what hashPassword() returns). */
  hashedPassword: string;
  noPassword: boolean;
  /**
   * The clear-text password: only in entries proposed by etcd before 3.5
   * (hashed_password empty); then it is hashed while applying, as etcd does.
   */
  password?: string;
}

/** What the permission checks need of one user (built lazily, dropped on any change). */
interface CachedUser {
  isRoot: boolean;
  permissions: UnifiedRangePermissions;
}

export class AuthStore {
  private enabledFlag: boolean;
  private currentRevision: number;
  private readonly userCache = new Map<string, CachedUser>();
  private readonly logger: Logger;
  private readonly tokenProvider: TokenProvider;
  private readonly cost: number;
  /** Keeps bcrypt from taking every thread-pool thread (see bcrypt-limiter.ts). */
  private readonly bcrypt = new BcryptLimiter();

  private constructor(
    private readonly backend: Backend,
    options: AuthStoreOptions,
  ) {
    this.logger = options.logger;
    this.tokenProvider = options.tokenProvider;
    let cost = options.bcryptCost;
    if (!Number.isInteger(cost) || cost < BCRYPT_MIN_COST || cost > BCRYPT_MAX_COST) {
      this.logger.warn('use default bcrypt cost instead of the invalid given cost', {
        'min-cost': BCRYPT_MIN_COST,
        'max-cost': BCRYPT_MAX_COST,
        'default-cost': BCRYPT_DEFAULT_COST,
        'given-cost': cost,
      });
      cost = BCRYPT_DEFAULT_COST;
    }
    this.cost = cost;
    this.enabledFlag = this.readEnabled();
    this.currentRevision = this.readRevision();
  }

  /**
   * etcd's NewAuthStore: reads the enabled flag and revision; a new store
   * starts at revision 1, committed at once as etcd does (so the first apply
   * section's batch holds only what it applies). With auth enabled the token
   * provider is enabled.
   */
  static open(backend: Backend, options: AuthStoreOptions): AuthStore {
    const store = new AuthStore(backend, options);
    if (store.enabledFlag) store.tokenProvider.enable();
    if (store.currentRevision === 0) {
      store.commitRevision();
      backend.commit();
    }
    return store;
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  get revision(): number {
    return this.currentRevision;
  }

  get bcryptCost(): number {
    return this.cost;
  }

  /**
   * Re-reads everything from the backend after a snapshot replaced its
   * contents (etcd's Recover). Enables the token provider when auth is on
   * (the provider must take a repeated enable() as a no-op) and disables it
   * when auth was on and the snapshot has it off.
   */
  recover(): void {
    const wasEnabled = this.enabledFlag;
    this.enabledFlag = this.readEnabled();
    this.currentRevision = this.readRevision();
    this.userCache.clear();
    if (this.enabledFlag) this.tokenProvider.enable();
    else if (wasEnabled) this.tokenProvider.disable();
  }

  /** etcd's Close: stops the token provider's work when auth is on. */
  close(): void {
    if (this.enabledFlag) this.tokenProvider.disable();
  }

  // ---------------------------------------------------------------------------
  // Mutations (applied from committed entries)

  /**
   * Turns auth on. Needs user root holding role root (the role record itself
   * need not exist). Already on: a no-op. Does not bump the revision (etcd).
   */
  enable(): void {
    if (this.enabledFlag) {
      this.logger.info('authentication is already enabled; ignored auth enable request');
      return;
    }
    const root = this.getUser(ROOT_USER);
    if (root === undefined) throw authErrors.rootUserNotExist();
    if (!hasRootRole(root)) throw authErrors.rootRoleNotExist();
    this.backend.batchTx().put(AUTH_BUCKET, enableFlagKey, authEnabledValue);
    this.enabledFlag = true;
    this.tokenProvider.enable();
    this.userCache.clear();
    this.currentRevision = this.readRevision();
    this.logger.info('enabled authentication');
  }

  /** Turns auth off and bumps the revision; already off: a no-op (no bump). */
  disable(): void {
    if (!this.enabledFlag) return;
    this.backend.batchTx().put(AUTH_BUCKET, enableFlagKey, authDisabledValue);
    this.commitRevision();
    this.enabledFlag = false;
    this.tokenProvider.disable();
    this.logger.info('disabled authentication');
  }

  /**
   * The apply side of Authenticate (the password was checked by the proposer
   * with checkPassword): a token for the user at the current revision.
   */
  authenticate(username: string, context: { simpleTokenPrefix: string; index: number }): { token: string } {
    if (!this.enabledFlag) throw authErrors.authNotEnabled();
    const user = this.getUser(username);
    if (user === undefined) throw authErrors.authFailed();
    if (user.options?.noPassword === true) throw authErrors.authFailed();
    let token: string;
    try {
      token = this.tokenProvider.assign(username, this.currentRevision, context);
    } catch (error) {
      // A token that cannot be made (a verify-only JWT key, a reused simple
      // token) is this client's failure, never a reason to stop applying.
      if (error instanceof EtcdError) throw error;
      throw new EtcdError(error instanceof Error ? error.message : String(error), 'Internal');
    }
    this.logger.debug('authenticated a user', { 'user-name': username, 'token-fingerprint': redactToken(token) });
    return { token };
  }

  userAdd(request: UserAddRequest): void {
    if (request.name.length === 0) throw authErrors.userEmpty();
    if (this.getUser(request.name) !== undefined) throw authErrors.userAlreadyExist();
    const password = request.noPassword ? EMPTY : this.selectPassword(request.password ?? '', request.hashedPassword);
    this.putUser({
      name: Buffer.from(request.name, 'utf8'),
      password,
      roles: [],
      options: { noPassword: request.noPassword },
    });
    this.commitRevision();
    this.userCache.clear();
    this.logger.info('added a user', { 'user-name': request.name });
  }

  userDelete(name: string): void {
    if (this.enabledFlag && name === ROOT_USER) {
      this.logger.error("cannot delete 'root' user", { 'user-name': name });
      throw authErrors.invalidAuthMgmt();
    }
    const user = this.getUser(name);
    if (user === undefined) throw authErrors.userNotFound();
    this.backend.batchTx().delete(USERS_BUCKET, Buffer.from(name, 'utf8'));
    this.commitRevision();
    this.userCache.clear();
    this.tokenProvider.invalidateUser(name);
    this.logger.info('deleted a user', { 'user-name': name, 'user-roles': user.roles });
  }

  /**
   * `hashedPassword` as in AuthUserChangePasswordRequest (base64 of the
   * bcrypt hash); `password` only for entries from etcd before 3.5. A user
   * without a password keeps having none.
   */
  userChangePassword(name: string, hashedPassword: string, password = ''): void {
    const user = this.getUser(name);
    if (user === undefined) throw authErrors.userNotFound();
    // Users written before etcd 3.4 have no options: they have a password.
    const newPassword = user.options?.noPassword === true ? EMPTY : this.selectPassword(password, hashedPassword);
    this.putUser({ name: Buffer.from(name, 'utf8'), roles: user.roles, password: newPassword, options: user.options });
    this.commitRevision();
    this.userCache.clear();
    this.tokenProvider.invalidateUser(name);
    this.logger.info('changed a password of a user', { 'user-name': name, 'user-roles': user.roles });
  }

  /**
   * Grants a role (which must exist, except "root"). Granting a role the user
   * already has is a no-op that succeeds without bumping the revision (3.5).
   */
  userGrantRole(userName: string, role: string): void {
    const user = this.getUser(userName);
    if (user === undefined) throw authErrors.userNotFound();
    if (role !== ROOT_ROLE && this.getRole(role) === undefined) throw authErrors.roleNotFound();
    const index = searchStrings(user.roles, role);
    if (index < user.roles.length && user.roles[index] === role) {
      this.logger.warn('ignored grant role request to a user', {
        'user-name': userName,
        'user-roles': user.roles,
        'duplicate-role-name': role,
      });
      return;
    }
    user.roles = [...user.roles, role].sort(compareStrings);
    this.putUser(user);
    this.commitRevision();
    this.userCache.clear();
    this.logger.info('granted a role to a user', { 'user-name': userName, 'user-roles': user.roles, 'added-role-name': role });
  }

  userRevokeRole(name: string, role: string): void {
    if (this.enabledFlag && name === ROOT_USER && role === ROOT_ROLE) {
      this.logger.error("'root' user cannot revoke 'root' role", { 'user-name': name, 'role-name': role });
      throw authErrors.invalidAuthMgmt();
    }
    const user = this.getUser(name);
    if (user === undefined) throw authErrors.userNotFound();
    const roles = user.roles.filter((held) => held !== role);
    if (roles.length === user.roles.length) throw authErrors.roleNotGranted();
    this.putUser({ name: user.name, password: user.password, options: user.options, roles });
    this.commitRevision();
    this.userCache.clear();
    this.logger.info('revoked a role from a user', {
      'user-name': name,
      'old-user-roles': user.roles,
      'new-user-roles': roles,
      'revoked-role-name': role,
    });
  }

  /** Creates a role without permissions ("root" too: the root role's power comes from its name). */
  roleAdd(name: string): void {
    if (name.length === 0) throw authErrors.roleEmpty();
    if (this.getRole(name) !== undefined) throw authErrors.roleAlreadyExist();
    this.putRole({ name: Buffer.from(name, 'utf8'), keyPermission: [] });
    this.commitRevision();
    this.userCache.clear();
    this.logger.info('created a role', { 'role-name': name });
  }

  /** Deletes a role and takes it from every user who holds it. */
  roleDelete(name: string): void {
    if (this.enabledFlag && name === ROOT_ROLE) {
      this.logger.error("cannot delete 'root' role", { 'role-name': name });
      throw authErrors.invalidAuthMgmt();
    }
    if (this.getRole(name) === undefined) throw authErrors.roleNotFound();
    const batch = this.backend.batchTx();
    batch.delete(ROLES_BUCKET, Buffer.from(name, 'utf8'));
    for (const user of this.getAllUsers()) {
      const roles = user.roles.filter((held) => held !== name);
      if (roles.length === user.roles.length) continue;
      this.putUser({ name: user.name, password: user.password, options: user.options, roles });
    }
    this.commitRevision();
    this.userCache.clear();
    this.logger.info('deleted a role', { 'role-name': name });
  }

  /**
   * Grants a permission. The role's permissions stay sorted by key; a
   * permission whose key and range_end equal those of the first permission
   * with that key only has its type replaced (etcd looks no further, so a
   * second permission with the same key and another range_end can be
   * appended twice). The range must be valid (isValidPermissionRange).
   */
  roleGrantPermission(name: string, permission: Permission | undefined | null): void {
    if (permission === undefined || permission === null) throw authErrors.permissionNotGiven();
    const key = Buffer.from(permission.key ?? EMPTY);
    const rangeEnd = Buffer.from(permission.range_end ?? EMPTY);
    const permType = permission.permType ?? 0;
    if (!isValidPermissionRange(key, rangeEnd)) throw authErrors.invalidAuthMgmt();
    const role = this.getRole(name);
    if (role === undefined) throw authErrors.roleNotFound();
    const permissions = role.keyPermission;
    const index = lowerBound(permissions.length, (i) => Buffer.compare(permissions[i]!.key, key) >= 0);
    const existing = permissions[index];
    if (existing !== undefined && existing.key.equals(key) && existing.range_end.equals(rangeEnd)) {
      existing.permType = permType;
    } else {
      permissions.push({ permType, key, range_end: rangeEnd });
      // Stable, like the insertion sort Go's sort.Sort uses up to 12 elements.
      permissions.sort((a, b) => Buffer.compare(a.key, b.key));
    }
    this.putRole(role);
    this.commitRevision();
    this.userCache.clear();
    this.logger.info('granted/updated a permission to a user', {
      'user-name': name,
      'permission-name': permissionTypeNames[permType] ?? String(permType),
    });
  }

  /** Revokes every permission of the role with exactly this key and range_end. */
  roleRevokePermission(role: string, key: Buffer, rangeEnd: Buffer): void {
    const record = this.getRole(role);
    if (record === undefined) throw authErrors.roleNotFound();
    const wantedKey = key ?? EMPTY;
    const wantedRangeEnd = rangeEnd ?? EMPTY;
    const kept = record.keyPermission.filter((permission) => !permission.key.equals(wantedKey) || !permission.range_end.equals(wantedRangeEnd));
    if (kept.length === record.keyPermission.length) throw authErrors.permissionNotGranted();
    this.putRole({ name: record.name, keyPermission: kept });
    this.commitRevision();
    this.userCache.clear();
    this.logger.info('revoked a permission on range', {
      'role-name': role,
      key: wantedKey.toString('utf8'),
      'range-end': wantedRangeEnd.toString('utf8'),
    });
  }

  // ---------------------------------------------------------------------------
  // Reads

  userGet(name: string): { roles: string[] } {
    const user = this.getUser(name);
    if (user === undefined) throw authErrors.userNotFound();
    return { roles: [...user.roles] };
  }

  /** Every user name, in key order. */
  userList(): string[] {
    return this.getAllUsers().map((user) => user.name.toString('utf8'));
  }

  /** The role's permissions in the stored order (sorted by key). */
  roleGet(name: string): Permission[] {
    const role = this.getRole(name);
    if (role === undefined) throw authErrors.roleNotFound();
    return role.keyPermission.map((permission) => ({ permType: permission.permType, key: permission.key, range_end: permission.range_end }));
  }

  /** Every role name, in key order (as etcd: the keys from "\x00" up to "\xff"). */
  roleList(): string[] {
    return this.backend
      .range(ROLES_BUCKET, Buffer.from([0x00]), Buffer.from([0xff]))
      .map(({ value }) => this.decodeRoleRecord(value).name.toString('utf8'));
  }

  /** Whether the user exists and holds the role. */
  hasRole(userName: string, role: string): boolean {
    const user = this.getUser(userName);
    if (user === undefined) {
      this.logger.warn("'has-role' requested for non-existing user", { 'user-name': userName, 'role-name': role });
      return false;
    }
    return user.roles.includes(role);
  }

  /**
   * etcd's CheckPassword, run by the member that receives Authenticate before
   * proposing it: the auth revision read before the (slow, off-thread) bcrypt
   * comparison; the caller proposes again when the revision moved meanwhile.
   */
  async checkPassword(name: string, password: string): Promise<number> {
    if (!this.enabledFlag) throw authErrors.authNotEnabled();
    const user = this.getUser(name);
    if (user === undefined) throw authErrors.authFailed();
    if (user.options?.noPassword === true) throw authErrors.noPasswordUser();
    const revision = this.readRevision();
    let matches = false;
    try {
      matches = user.password.length > 0 && (await this.bcrypt.run(() => bcryptVerify(password, user.password)));
    } catch {
      matches = false; // not a bcrypt hash
    }
    if (!matches) {
      this.logger.info('invalid password', { 'user-name': name });
      throw authErrors.authFailed();
    }
    return revision;
  }

  /**
   * Hashes a password with bcrypt at bcryptCost (on libuv's thread pool) and
   * returns it as etcd proposes it: base64 of the hash, for
   * AuthUserAddRequest/AuthUserChangePasswordRequest.hashed_password.
   */
  async hashPassword(password: string): Promise<string> {
    const hashed = await this.bcrypt.run(() => bcryptHash(password, this.cost));
    return Buffer.from(hashed, 'utf8').toString('base64');
  }

  // ---------------------------------------------------------------------------
  // Permission checks (etcd's isOpPermitted and IsAdminPermitted)

  isRangePermitted(info: AuthInfo | undefined, key: Buffer, rangeEnd: Buffer): void {
    this.checkOperation(info, key, rangeEnd, PermissionType.READ);
  }

  isPutPermitted(info: AuthInfo | undefined, key: Buffer): void {
    this.checkOperation(info, key, EMPTY, PermissionType.WRITE);
  }

  isDeleteRangePermitted(info: AuthInfo | undefined, key: Buffer, rangeEnd: Buffer): void {
    this.checkOperation(info, key, rangeEnd, PermissionType.WRITE);
  }

  /** Root role only. No revision check (as etcd). */
  isAdminPermitted(info: AuthInfo | undefined): void {
    if (!this.enabledFlag) return;
    if (info === undefined || info.username === '') throw authErrors.userEmpty();
    const user = this.cachedUser(info.username);
    if (user === undefined) throw authErrors.userNotFound();
    if (!user.isRoot) throw authErrors.permissionDenied();
  }

  /** Who a token belongs to at the current revision, or undefined. */
  authInfoFromToken(token: string): AuthInfo | undefined {
    return this.tokenProvider.info(token, this.currentRevision);
  }

  private checkOperation(
    info: AuthInfo | undefined,
    key: Buffer,
    rangeEnd: Buffer,
    permType: CheckedPermissionType,
  ): void {
    if (!this.enabledFlag) return;
    // Revision 0 only comes with no user.
    if (info === undefined || info.revision === 0) throw authErrors.userEmpty();
    if (info.revision < this.currentRevision) {
      this.logger.warn('request auth revision is less than current node auth revision', {
        'current node auth revision': this.currentRevision,
        'request auth revision': info.revision,
        'request key': key.toString('utf8'),
        error: 'auth: revision in header is old',
      });
      throw authErrors.authOldRevision();
    }
    const user = this.cachedUser(info.username);
    if (user === undefined) {
      this.logger.error('cannot find a user for permission check', { 'user-name': info.username });
      throw authErrors.permissionDenied();
    }
    if (user.isRoot) return;
    if (user.permissions.isPermitted(key ?? EMPTY, rangeEnd ?? EMPTY, permType)) return;
    throw authErrors.permissionDenied();
  }

  /** The user's root flag and merged permissions, built on first use after a change. */
  private cachedUser(name: string): CachedUser | undefined {
    const cached = this.userCache.get(name);
    if (cached !== undefined) return cached;
    const user = this.getUser(name);
    if (user === undefined) return undefined; // not cached: unknown names must not grow the map
    const permissions: PermissionRecord[] = [];
    for (const roleName of user.roles) {
      const role = this.getRole(roleName);
      if (role !== undefined) permissions.push(...role.keyPermission);
    }
    const entry: CachedUser = { isRoot: hasRootRole(user), permissions: UnifiedRangePermissions.fromPermissions(permissions) };
    this.userCache.set(name, entry);
    return entry;
  }

  // ---------------------------------------------------------------------------
  // Backend access

  private readEnabled(): boolean {
    const value = this.backend.get(AUTH_BUCKET, enableFlagKey);
    return value !== undefined && value.equals(authEnabledValue);
  }

  private readRevision(): number {
    const value = this.backend.get(AUTH_BUCKET, revisionKey);
    if (value === undefined || value.length < 8) return 0;
    return readUint64BigEndian(value, 0);
  }

  private commitRevision(): void {
    this.currentRevision += 1;
    this.backend.batchTx().put(AUTH_BUCKET, revisionKey, encodeUint64BigEndian(this.currentRevision));
  }

  private getUser(name: string): UserRecord | undefined {
    const value = this.backend.get(USERS_BUCKET, Buffer.from(name, 'utf8'));
    if (value === undefined) return undefined;
    try {
      return decodeUser(value);
    } catch (error) {
      this.logger.error("failed to unmarshal 'authpb.User'", { 'user-name': name, error });
      throw error;
    }
  }

  private getAllUsers(): UserRecord[] {
    const users: UserRecord[] = [];
    this.backend.forEachInRange(USERS_BUCKET, EMPTY, undefined, (_key, value) => {
      try {
        users.push(decodeUser(value));
      } catch (error) {
        this.logger.error("failed to unmarshal 'authpb.User'", { error });
        throw error;
      }
    });
    return users;
  }

  private putUser(user: UserRecord): void {
    this.backend.batchTx().put(USERS_BUCKET, Buffer.from(user.name), encodeUser(user));
  }

  private getRole(name: string): RoleRecord | undefined {
    const value = this.backend.get(ROLES_BUCKET, Buffer.from(name, 'utf8'));
    return value === undefined ? undefined : this.decodeRoleRecord(value);
  }

  private decodeRoleRecord(value: Buffer): RoleRecord {
    try {
      return decodeRole(value);
    } catch (error) {
      this.logger.error("failed to unmarshal 'authpb.Role'", { error });
      throw error;
    }
  }

  private putRole(role: RoleRecord): void {
    this.backend.batchTx().put(ROLES_BUCKET, Buffer.from(role.name), encodeRole(role));
  }

  /**
   * etcd's selectPassword: a clear-text password without a hash (entries from
   * etcd before 3.5) is hashed here; otherwise the hash is base64 as proposed.
   * Bad base64 is etcd's ErrNoPasswordUser.
   */
  private selectPassword(password: string, hashedPassword: string): Buffer {
    if (password !== '' && hashedPassword === '') return Buffer.from(bcryptHashSync(password, this.cost), 'utf8');
    const decoded = decodeStdBase64(hashedPassword);
    if (decoded === undefined) throw authErrors.noPasswordUser();
    return decoded;
  }
}

/** etcd's hasRootRole: a binary search, for the roles are kept sorted. */
function hasRootRole(user: UserRecord): boolean {
  const index = searchStrings(user.roles, ROOT_ROLE);
  return index < user.roles.length && user.roles[index] === ROOT_ROLE;
}

/** Go's string order: bytewise on UTF-8. */
function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** sort.Search: the smallest index in [0, n) for which `satisfies` holds (n if none), assuming it is monotone. */
function lowerBound(n: number, satisfies: (index: number) => boolean): number {
  let low = 0;
  let high = n;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (!satisfies(middle)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** sort.SearchStrings */
function searchStrings(sorted: string[], value: string): number {
  return lowerBound(sorted.length, (index) => compareStrings(sorted[index]!, value) >= 0);
}

/**
 * Go's base64.StdEncoding.DecodeString: padded standard alphabet; carriage
 * returns and newlines are skipped. undefined when it is not valid base64.
 */
export function decodeStdBase64(text: string): Buffer | undefined {
  const cleaned = text.replace(/[\r\n]/g, '');
  if (cleaned.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(cleaned)) return undefined;
  return Buffer.from(cleaned, 'base64');
}

/** The first 12 hex digits of the token's SHA-256: logged instead of the token. */
function redactToken(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}
