import { type ApiError, toApiError } from './api';

/**
 * One piece of async work a page shows: whether it is running, and the error of its last run.
 * `run` clears the error, sets `busy` while the work runs and stores whatever it throws as an ApiError.
 */
export class Task {
  busy = $state(false);
  error = $state<ApiError | null>(null);

  constructor(busy = false) {
    this.busy = busy;
  }

  async run(work: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      await work();
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = false;
    }
  }
}
