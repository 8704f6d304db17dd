// How parts made before the member (the lessor, lease upkeep) propose
// through Raft: one channel, bound to the member once it exists. A proposal
// before that, or after the member stopped, fails with "server stopped".

import type { InternalRaftRequest } from './internal-request.js';
import { serverErrors } from './errors.js';

export type Propose = (request: InternalRaftRequest) => Promise<unknown>;

export class ProposalChannel {
  private target: Propose | undefined;

  /** Sends proposals to `propose` from now on; undefined unbinds (the member stopped). */
  bind(propose: Propose | undefined): void {
    this.target = propose;
  }

  /** Proposes `request` and resolves with its applied result. */
  readonly propose: Propose = (request) => (this.target === undefined ? Promise.reject(serverErrors.stopped()) : this.target(request));
}
