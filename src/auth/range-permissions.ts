// etcd's range permission cache (server/auth/range_perm_cache.go): for one
// user, the key intervals their roles may read and may write, merged over
// all the roles, and the checks of a request's key or range against them.
//
// Keys are compared as etcd's adt.BytesAffineComparable: bytewise, except
// that the empty byte string is larger than every other (it stands for "no
// upper bound"). A permission is stored as a half-open interval:
//   range_end empty   -> the single key: [key, key + "\0")
//   range_end "\0"    -> every key from `key` on: [key, +inf)
//   otherwise         -> [key, range_end)
// A request with an empty range_end asks for one key (does some interval hold
// it); otherwise for [key, range_end), range_end "\0" meaning +inf (is the
// whole range covered by the union of the intervals). The prefix case is a
// plain range: [prefix, prefix with its last byte incremented).
//
// etcd keeps the intervals in an interval tree; the checks here scan a list
// sorted by start and decide exactly as the tree's Intersects and Contains
// do for well-formed intervals (start < end), which are all that
// RoleGrantPermission accepts.

import { PermissionType, type Permission } from './types.js';

/** Half-open [begin, end) in affine byte order (empty = +inf). */
export interface KeyInterval {
  readonly begin: Buffer;
  readonly end: Buffer;
}

const EMPTY: Buffer = Buffer.alloc(0);

/** adt.BytesAffineComparable.Compare: bytewise, the empty string above everything. */
export function compareAffine(a: Buffer, b: Buffer): number {
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  if (b.length === 0) return -1;
  return Buffer.compare(a, b);
}

/** adt.Interval.Compare: 0 when the two intervals overlap, -1 when `a` is left of `b`, 1 when right. */
function compareIntervals(a: KeyInterval, b: KeyInterval): number {
  if (compareAffine(a.begin, b.begin) < 0 && compareAffine(a.end, b.begin) <= 0) return -1;
  if (compareAffine(a.begin, b.end) >= 0) return 1;
  return 0;
}

/** rangeEnd "\0": every key from the start key on (etcd's isOpenEnded). */
export function isOpenEnded(rangeEnd: Buffer): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0;
}

/** The interval of one key: [key, key + "\0"). */
export function pointInterval(key: Buffer): KeyInterval {
  return { begin: key, end: Buffer.concat([key, Buffer.from([0])]) };
}

/** The interval a permission grants (getMergedPerms). */
export function permissionInterval(key: Buffer, rangeEnd: Buffer): KeyInterval {
  if (rangeEnd.length === 0) return pointInterval(key);
  return { begin: key, end: isOpenEnded(rangeEnd) ? EMPTY : rangeEnd };
}

/**
 * etcd's isValidPermissionRange: a non-empty key, and an empty range_end (one
 * key), "\0" (open-ended), or a range_end above the key.
 */
export function isValidPermissionRange(key: Buffer, rangeEnd: Buffer): boolean {
  if (key.length === 0) return false;
  if (rangeEnd.length === 0) return true;
  if (compareAffine(key, rangeEnd) < 0) return true;
  return isOpenEnded(rangeEnd);
}

/** The intervals of one kind (read or write), sorted by start. */
class IntervalSet {
  private readonly intervals: KeyInterval[];

  constructor(intervals: KeyInterval[]) {
    // Stable sort: intervals with equal starts keep their insertion order, as the tree visits them.
    this.intervals = [...intervals].sort((a, b) => compareAffine(a.begin, b.begin));
  }

  /** Whether some interval overlaps `query` (IntervalTree.Intersects). */
  intersects(query: KeyInterval): boolean {
    for (const interval of this.intervals) if (compareIntervals(query, interval) === 0) return true;
    return false;
  }

  /** Whether the intervals overlapping `query` cover it without a gap (IntervalTree.Contains). */
  contains(query: KeyInterval): boolean {
    let minBegin: Buffer | undefined;
    let maxEnd: Buffer = EMPTY;
    for (const interval of this.intervals) {
      if (compareIntervals(query, interval) !== 0) continue;
      if (minBegin === undefined) {
        minBegin = interval.begin;
        maxEnd = interval.end;
        continue;
      }
      if (compareAffine(maxEnd, interval.begin) < 0) return false; // a gap
      if (compareAffine(interval.end, maxEnd) > 0) maxEnd = interval.end;
    }
    return minBegin !== undefined && compareAffine(maxEnd, query.end) >= 0 && compareAffine(minBegin, query.begin) <= 0;
  }
}

/** The operations checked: a read or a write. */
export type CheckedPermissionType = typeof PermissionType.READ | typeof PermissionType.WRITE;

/** What one user may read and write (etcd's unifiedRangePermissions). */
export class UnifiedRangePermissions {
  private readonly read: IntervalSet;
  private readonly write: IntervalSet;

  constructor(readIntervals: KeyInterval[], writeIntervals: KeyInterval[]) {
    this.read = new IntervalSet(readIntervals);
    this.write = new IntervalSet(writeIntervals);
  }

  /** Merges the permissions of all of a user's roles (etcd's getMergedPerms). Unknown permission types grant nothing. */
  static fromPermissions(permissions: Iterable<Permission>): UnifiedRangePermissions {
    const read: KeyInterval[] = [];
    const write: KeyInterval[] = [];
    for (const permission of permissions) {
      const interval = permissionInterval(permission.key, permission.range_end);
      switch (permission.permType) {
        case PermissionType.READWRITE:
          read.push(interval);
          write.push(interval);
          break;
        case PermissionType.READ:
          read.push(interval);
          break;
        case PermissionType.WRITE:
          write.push(interval);
          break;
      }
    }
    return new UnifiedRangePermissions(read, write);
  }

  /**
   * May the user do a `permType` (READ or WRITE) operation on `key` (rangeEnd
   * empty) or on [key, rangeEnd) (rangeEnd "\0": every key from `key` on)?
   */
  isPermitted(key: Buffer, rangeEnd: Buffer, permType: CheckedPermissionType): boolean {
    if (rangeEnd.length === 0) return this.intersects(permType, pointInterval(key));
    return this.covers(permType, { begin: key, end: isOpenEnded(rangeEnd) ? EMPTY : rangeEnd });
  }

  /** Whether the `permType` intervals cover all of `interval` (etcd's checkKeyInterval after its rangeEnd conversion). */
  covers(permType: CheckedPermissionType, interval: KeyInterval): boolean {
    return this.set(permType).contains(interval);
  }

  /** Whether some `permType` interval overlaps `interval` (etcd's checkKeyPoint with a point interval). */
  intersects(permType: CheckedPermissionType, interval: KeyInterval): boolean {
    return this.set(permType).intersects(interval);
  }

  private set(permType: CheckedPermissionType): IntervalSet {
    if (permType === PermissionType.READ) return this.read;
    if (permType === PermissionType.WRITE) return this.write;
    throw new Error(`unknown auth type ${String(permType)}`);
  }
}
