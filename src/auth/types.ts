// The shapes the auth layer shares with the rest of the member: who a request
// runs as, permissions and the records kept in the backend's auth buckets
// (etcd's authpb.User and authpb.Role).

/** Who a request runs as: the user and the auth revision their credentials were checked at. */
export interface AuthInfo {
  username: string;
  /** The auth store's revision when the token was checked (or, for a JWT, when it was issued). 0 means no user. */
  revision: number;
}

/** authpb.Permission.Type */
export const PermissionType = { READ: 0, WRITE: 1, READWRITE: 2 } as const;
export type PermissionType = (typeof PermissionType)[keyof typeof PermissionType];

/** authpb.Permission as the gRPC layer decodes it (camelCase field name as in the .proto). */
export interface Permission {
  permType: number;
  key: Buffer;
  /** Empty: the single key. "\0": every key from `key` on. Otherwise [key, range_end). */
  range_end: Buffer;
}

/**
 * Issues and checks tokens (etcd's TokenProvider): "simple" tokens held in
 * memory with a TTL, or signed JWTs that every member can check.
 */
export interface TokenProvider {
  /** Who the token belongs to, or undefined when it is unknown, expired or forged. */
  info(token: string, currentRevision: number): AuthInfo | undefined;
  /**
   * A new token for a user who authenticated in the Raft entry at `index`;
   * called while applying that entry on every member. `simpleTokenPrefix`
   * is what `genTokenPrefix` gave the proposer.
   */
  assign(username: string, revision: number, context: { simpleTokenPrefix: string; index: number }): string;
  /** Auth was turned on (start accepting tokens) or off (forget every token). */
  enable(): void;
  disable(): void;
  /** A user was deleted or changed password: their simple tokens stop working. */
  invalidateUser(username: string): void;
  /** Random for simple tokens (proposed with Authenticate); empty for JWT. */
  genTokenPrefix(): string;
  close(): void;
}
