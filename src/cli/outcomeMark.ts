import type { RunOutcome } from '../pipeline/status.ts';

/** How a run's outcome starts its line: a success that left records in etl.rejects is flagged, not ticked. */
export const OUTCOME_MARK: Record<RunOutcome, string> = {
  succeeded: '✓',
  succeeded_with_rejects: '⚠',
  failed: '✗',
  running: '…',
  abandoned: '⊘',
};
