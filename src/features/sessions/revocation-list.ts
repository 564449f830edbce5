import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Denylist, StoreError } from '../../stores/contract.ts';
import type { SessionRepository } from '../../stores/repositories.ts';

/**
 * The denylist as a cache of what SQL knows: durable revocations, fast checks.
 *
 * SQL is the source of truth (every revoked session keeps `revoked_at`; sessions deleted with
 * their user leave a tombstone); the denylist (Redis, or this process's memory) is the fast
 * path. A store can lose its data: a Redis without persistence restarts, `FLUSHALL`, a
 * failover to an empty replica, or simply a restart of a process with memory stores. An empty
 * denylist would accept every revoked access token again, so it carries a marker that says
 * "complete", written only once every revocation SQL knows of has been put back:
 *
 * - Each check reads the marker in the same `getMany` (one MGET) as the token's keys: still
 *   one round trip. Marker present: the answer stands.
 * - Marker absent: the data is gone (or this is the first start). The check waits for a
 *   rebuild (one per process at a time), then reads again; it never answers from a list known
 *   to be incomplete. A rebuild that fails or outlasts {@link RevocationListOptions.waitMs}
 *   is a 503 with `Retry-After`.
 * - A rebuild claims the marker with a pending value (`compareAndSet` from absent), re-adds a
 *   session revocation for every session revoked within the revocation window, then turns its
 *   own pending value into "complete" (`compareAndSet` from that value). If the store lost its
 *   data again during the rebuild, the claim is gone with it, the final step fails and the
 *   rebuild starts over: the marker never says "complete" over a list missing entries.
 * - Another process holding the claim is waited for (polling the marker); its claim expires
 *   if it died. Rebuilds only add revocations, so two of them overlapping would be harmless.
 *
 * Why writes made during a rebuild are not lost: every revocation is written to SQL first and
 * to the denylist after (logout writes the denylist once more after its SQL update). So a
 * revocation is either in SQL before the rebuild reads it, or written to the store after the
 * data loss the rebuild repairs.
 */

/** Keys of the revocation entries an access token is checked against. */
export const REVOCATION_KEY = {
  token: (jti: string) => `rev:jti:${jti}`,
  session: (sid: string) => `rev:sid:${sid}`,
  userNotBefore: (userId: string) => `rev:nbf:${userId}`,
} as const;

/** Says the denylist holds every revocation SQL knows of (`complete:…`) or is being rebuilt (`pending:…`). */
export const COMPLETENESS_MARKER_KEY = 'rev:complete';
const PENDING = 'pending:';
const COMPLETE = 'complete:';

/**
 * Extra look-back for revocation times written by workers whose clocks run behind: the window
 * must cover every token another worker could still accept.
 */
const CLOCK_MARGIN_MS = 60_000;
/** Revocations re-added at once while rebuilding (bounded, so a large list does not flood the store). */
const RESTORE_BATCH = 256;

export interface RevocationListOptions {
  readonly denylist: Denylist;
  readonly sessions: Pick<SessionRepository, 'listRevokedSince'>;
  /** How long a session revocation must stay: longer than any access token it could stop. */
  readonly sessionTtlMs: number;
  /** Wall-clock time, the same clock that wrote `revoked_at`. */
  readonly now: () => number;
  /** Called after this process rebuilt the list (`lost`: it had seen the list complete before). */
  readonly onRebuilt?: (report: RebuildReport) => void;
  /** Longest a check waits for a rebuild before answering 503. @default 3000 */
  readonly waitMs?: number;
  /**
   * Lifetime of a rebuild's claim (renewed before each batch it restores), and how long a
   * rebuild waits for another process's claim. @default 10000
   */
  readonly claimTtlMs?: number;
  /** Lifetime of the "complete" marker; when it ends, the next check rebuilds. @default 1 day */
  readonly markerTtlMs?: number;
  /** How often a process waiting for another one's rebuild looks at the marker. @default 25 */
  readonly pollMs?: number;
}

export interface RebuildReport {
  /** Session revocations put back. */
  readonly sessions: number;
  readonly durationMs: number;
  /** `true` when this process had seen the list complete before: the store lost its data. */
  readonly lost: boolean;
}

export interface RevocationList {
  /**
   * The values of `keys`, read only from a complete list: one round trip in the steady state.
   * Rejects with a `StoreError` (503) while the list cannot be made complete.
   */
  lookup(keys: readonly string[]): Promise<(string | null)[]>;
  /** Makes sure the list is complete, rebuilding it from SQL when the marker is missing. */
  ensureComplete(): Promise<void>;
}

export function createRevocationList(options: RevocationListOptions): RevocationList {
  const { denylist } = options;
  const waitMs = options.waitMs ?? 3_000;
  const claimTtlMs = options.claimTtlMs ?? 10_000;
  const markerTtlMs = options.markerTtlMs ?? 24 * 60 * 60 * 1000;
  const pollMs = options.pollMs ?? 25;
  const windowMs = options.sessionTtlMs + CLOCK_MARGIN_MS;
  let seenComplete = false;
  let rebuilding: Promise<void> | null = null;

  const isComplete = (marker: string | null | undefined): boolean =>
    typeof marker === 'string' && marker.startsWith(COMPLETE);

  /**
   * Puts back a session revocation for every session SQL says was revoked within the window;
   * `null` when the claim vanished meanwhile. The claim is renewed before each batch, so a long
   * list keeps it alive, and a loss is noticed at the next batch instead of at the end.
   */
  async function restore(claim: string): Promise<number | null> {
    const at = options.now();
    const revoked = await options.sessions.listRevokedSince(at - windowMs);
    for (let i = 0; i < revoked.length; i += RESTORE_BATCH) {
      if (!(await denylist.compareAndSet(COMPLETENESS_MARKER_KEY, claim, claim, claimTtlMs))) return null;
      await Promise.all(
        revoked
          .slice(i, i + RESTORE_BATCH)
          .map((session) =>
            denylist.add(
              REVOCATION_KEY.session(session.id),
              Math.max(1, Math.ceil(session.revokedAt + windowMs - at)),
            ),
          ),
      );
    }
    return revoked.length;
  }

  async function rebuild(): Promise<void> {
    const started = performance.now();
    const deadline = started + claimTtlMs;
    while (performance.now() < deadline) {
      const [marker] = await denylist.getMany([COMPLETENESS_MARKER_KEY]);
      if (isComplete(marker)) return;
      if (marker !== null && marker !== undefined) {
        // Another process holds the claim: wait for it (the claim expires if it died).
        await sleep(pollMs);
        continue;
      }
      const claim = `${PENDING}${randomUUID()}`;
      if (!(await denylist.compareAndSet(COMPLETENESS_MARKER_KEY, null, claim, claimTtlMs))) continue;
      const sessions = await restore(claim);
      if (sessions === null) continue;
      const done = await denylist.compareAndSet(
        COMPLETENESS_MARKER_KEY,
        claim,
        `${COMPLETE}${randomUUID()}`,
        markerTtlMs,
      );
      // Not done: the claim vanished (the store lost its data again, or the claim expired);
      // what was restored may be gone with it, so start over.
      if (done) {
        options.onRebuilt?.({ sessions, durationMs: performance.now() - started, lost: seenComplete });
        seenComplete = true;
        return;
      }
    }
    throw new StoreError('timeout', 'The denylist could not be rebuilt in time', { retryAfterSeconds: 1 });
  }

  /** One rebuild per process at a time; every waiting check shares it. */
  function rebuildOnce(): Promise<void> {
    rebuilding ??= rebuild().finally(() => {
      rebuilding = null;
    });
    return rebuilding;
  }

  async function waitForRebuild(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tooLong = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new StoreError('timeout', 'The denylist is being rebuilt', { retryAfterSeconds: 1 })),
        waitMs,
      );
    });
    try {
      // The rebuild goes on after a check stops waiting; its outcome is still observed here.
      await Promise.race([rebuildOnce(), tooLong]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async lookup(keys) {
      const first = await denylist.getMany([COMPLETENESS_MARKER_KEY, ...keys]);
      if (isComplete(first[0])) {
        seenComplete = true;
        return first.slice(1);
      }
      await waitForRebuild();
      const second = await denylist.getMany([COMPLETENESS_MARKER_KEY, ...keys]);
      if (isComplete(second[0])) return second.slice(1);
      // Lost again right after the rebuild: never answer from an incomplete list.
      throw new StoreError('unavailable', 'The denylist is incomplete', { retryAfterSeconds: 1 });
    },
    async ensureComplete() {
      const [marker] = await denylist.getMany([COMPLETENESS_MARKER_KEY]);
      if (isComplete(marker)) {
        seenComplete = true;
        return;
      }
      await waitForRebuild();
    },
  };
}
