// Membership errors with etcd's texts; the API layer maps them to etcd's
// gRPC codes by message.

import { ServerError } from '../errors.js';

export const membershipErrors = {
  memberNotFound: () => new ServerError('etcdserver: member not found'),
  idExists: () => new ServerError('etcdserver: member ID already exist'),
  peerUrlExists: () => new ServerError('etcdserver: Peer URLs already exists'),
  badUrls: () => new ServerError('etcdserver: given member URLs are invalid'),
  notEnoughStartedMembers: () => new ServerError('etcdserver: re-configuration failed due to not enough started members'),
  unhealthy: () => new ServerError('etcdserver: unhealthy cluster'),
  tooManyLearners: () => new ServerError('etcdserver: too many learner members in cluster'),
  notLearner: () => new ServerError('etcdserver: can only promote a learner member'),
  learnerNotReady: () => new ServerError('etcdserver: can only promote a learner member which is in sync with leader'),
  notSupportedForLearner: () => new ServerError('etcdserver: rpc not supported for learner'),
  badLeaderTransferee: () => new ServerError('etcdserver: bad leader transferee'),
  leaderTransferTimeout: () => new ServerError('etcdserver: request timed out, leader transfer took too long'),
};
