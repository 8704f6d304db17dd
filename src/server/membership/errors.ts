// Membership errors with etcd's texts and gRPC codes (api/v3rpc/rpctypes).

import { ServerError } from '../errors.js';

export const membershipErrors = {
  memberNotFound: () => new ServerError('etcdserver: member not found', 'NotFound'),
  idExists: () => new ServerError('etcdserver: member ID already exist', 'FailedPrecondition'),
  peerUrlExists: () => new ServerError('etcdserver: Peer URLs already exists', 'FailedPrecondition'),
  badUrls: () => new ServerError('etcdserver: given member URLs are invalid', 'InvalidArgument'),
  notEnoughStartedMembers: () => new ServerError('etcdserver: re-configuration failed due to not enough started members', 'FailedPrecondition'),
  unhealthy: () => new ServerError('etcdserver: unhealthy cluster', 'Unavailable'),
  tooManyLearners: () => new ServerError('etcdserver: too many learner members in cluster', 'FailedPrecondition'),
  notLearner: () => new ServerError('etcdserver: can only promote a learner member', 'FailedPrecondition'),
  learnerNotReady: () => new ServerError('etcdserver: can only promote a learner member which is in sync with leader', 'FailedPrecondition'),
  // Unavailable, as etcd's ErrGPRCNotSupportedForLearner: clients move on to another endpoint.
  notSupportedForLearner: () => new ServerError('etcdserver: rpc not supported for learner', 'Unavailable'),
  badLeaderTransferee: () => new ServerError('etcdserver: bad leader transferee', 'FailedPrecondition'),
  leaderTransferTimeout: () => new ServerError('etcdserver: request timed out, leader transfer took too long', 'Unavailable'),
};
