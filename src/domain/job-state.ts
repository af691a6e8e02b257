/**
 * The stored progress of one resumable background job (`jobStates`): what it last agreed with and
 * where a scan stopped, so that a restart or another instance continues instead of starting over.
 * Written by compare-and-set on `revision`: two instances (or a request enqueuing work beside the
 * running job) never overwrite each other's change.
 */
export interface JobStateDoc<S = unknown> {
  /** The job's name (e.g. `warned-by`). */
  _id: string;
  /** Changes on every write; the compare-and-set token. */
  revision: string;
  updatedAt: Date;
  /** The job's own state: plain data (backups carry it as it is). */
  state: S;
}
