import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Denylist, StoreError } from '../../stores/contract.ts';
import type { RevokedSession, SessionRepository } from '../../stores/repositories.ts';
import {
  completenessMarkerKey,
  REVOCATION_GROUPS,
  REVOCATION_KEY,
  revocationGroupOf,
} from './revocation-keys.ts';

/**
 * The denylist as a cache of what SQL knows: durable revocations, fast checks.
 *
 * SQL is the source of truth (every revoked session keeps `revoked_at`; sessions deleted with
 * their user leave a tombstone); the denylist (Redis, or this process's memory) is the fast
 * path. A store can lose its data: a Redis without persistence restarts, `FLUSHALL`, a
 * failover to an empty replica, one shard of a cluster, or simply a restart of a process with
 * memory stores. An empty denylist would accept every revoked access token again, so each
 * group of keys (revocation-keys.ts: users are spread over groups that each live in one
 * cluster slot) carries a marker that says "complete", written only once every revocation SQL
 * knows of for that group has been put back:
 *
 * - Each check reads its group's marker in the same `getMany` (one MGET, one slot) as the
 *   token's keys: still one round trip. Marker present: the answer stands.
 * - Marker absent: that group's data is gone (or this is the first start). The check waits
 *   for a rebuild (one per process at a time), then reads again; it never answers from a list
 *   known to be incomplete. A rebuild that fails or outlasts
 *   {@link RevocationListOptions.waitMs} is a 503 with `Retry-After`.
 * - A rebuild reads every group's marker, claims each missing one with a pending value
 *   (`compareAndSet` from absent), reads SQL only then, re-adds a session revocation for every
 *   session revoked within the revocation window whose group it claimed, then turns its own
 *   pending values into "complete" (`compareAndSet` from that value). If a group lost its data
 *   again during the rebuild, the claim is gone with it, its final step fails and that group
 *   is taken again: a marker never says "complete" over a group missing entries.
 * - A group another process has claimed is waited for (polling the markers); its claim
 *   expires if that process died. Rebuilds only add revocations, so two of them overlapping
 *   would be harmless.
 *
 * Why writes made during a rebuild are not lost: every revocation is written to SQL first and
 * to the denylist after (logout writes the denylist once more after its SQL update). So a
 * revocation is either in SQL before the rebuild reads it, or written to the store after the
 * data loss the rebuild repairs.
 */

const PENDING = 'pending:';
const COMPLETE = 'complete:';
/** Every group's marker key, in group order (read together when a rebuild starts). */
const MARKER_KEYS: readonly string[] = Array.from({ length: REVOCATION_GROUPS }, (_, group) =>
  completenessMarkerKey(group),
);

/**
 * Extra look-back for revocation times written by workers whose clocks run behind: the window
 * must cover every token another worker could still accept.
 */
const CLOCK_MARGIN_MS = 60_000;
/** Revocations re-added at once while rebuilding (bounded, so a large list does not flood the store). */
const RESTORE_BATCH = 256;
/**
 * Markers claimed, renewed or completed at once: a thousand commands sent together would queue
 * behind each other past the store's per-command timeout on a busy server.
 */
const MARKER_BATCH = 256;

/** `step` over `items`, at most `size` at a time, results in order. */
async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  step: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size)
    results.push(...(await Promise.all(items.slice(i, i + size).map(step))));
  return results;
}

export interface RevocationListOptions {
  readonly denylist: Denylist;
  readonly sessions: Pick<SessionRepository, 'listRevokedSince'>;
  /** How long a session revocation must stay: longer than any access token it could stop. */
  readonly sessionTtlMs: number;
  /** Wall-clock time, the same clock that wrote `revoked_at`. */
  readonly now: () => number;
  /** Called after this process rebuilt groups of the list (`lost`: it had seen the list complete before). */
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
  /** Groups whose marker this rebuild set to complete (all of them after a full loss). */
  readonly groups: number;
  readonly durationMs: number;
  /** `true` when this process had seen the list complete before: the store lost its data. */
  readonly lost: boolean;
}

export interface RevocationList {
  /**
   * The values of `keys` (all in `userId`'s group: built with revocation-keys.ts), read only
   * from a complete group: one round trip in the steady state. Rejects with a `StoreError`
   * (503) while the group cannot be made complete.
   */
  lookup(userId: string, keys: readonly string[]): Promise<(string | null)[]>;
  /**
   * {@link lookup}, with the value of the group's "complete" marker it was read from: a new
   * value after every rebuild, so what was derived from an older list can be told apart.
   */
  read(userId: string, keys: readonly string[]): Promise<{ marker: string; values: (string | null)[] }>;
  /** Makes sure every group is complete, rebuilding from SQL the ones whose marker is missing. */
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

  /** The groups a revoked session's entry belongs in: its user's, or every held one for a tombstone. */
  function groupsOf(session: RevokedSession, held: ReadonlySet<number>): number[] {
    // A tombstone (a session deleted with its user) keeps its group, not the user; one written
    // before it kept the group goes back into every group being rebuilt.
    const group = session.userId !== null ? revocationGroupOf(session.userId) : session.revocationGroup;
    if (group === null) return [...held];
    return held.has(group) ? [group] : [];
  }

  /** Renews `claim` on every group in `held`; the groups whose claim vanished are dropped. */
  async function renew(claim: string, held: Set<number>): Promise<void> {
    const groups = [...held];
    const kept = await inBatches(groups, MARKER_BATCH, (group) =>
      denylist.compareAndSet(completenessMarkerKey(group), claim, claim, claimTtlMs),
    );
    groups.forEach((group, i) => {
      if (!kept[i]) held.delete(group);
    });
  }

  /**
   * Puts back a session revocation for every session SQL says was revoked within the window,
   * into the groups this rebuild holds; `null` when every claim vanished meanwhile. SQL is read
   * only after the claims were taken, so a revocation it misses was written to the store after
   * the loss. Claims are renewed as the restore goes on, so a long list keeps them alive.
   */
  async function restore(claim: string, held: Set<number>): Promise<number | null> {
    const at = options.now();
    const revoked = await options.sessions.listRevokedSince(at - windowMs);
    const entries = revoked.flatMap((session) =>
      groupsOf(session, held).map((group) => ({ group, session })),
    );
    let renewedAt = performance.now();
    for (let i = 0; i < entries.length; i += RESTORE_BATCH) {
      if (performance.now() - renewedAt > claimTtlMs / 3) {
        await renew(claim, held);
        renewedAt = performance.now();
        if (held.size === 0) return null;
      }
      await Promise.all(
        entries
          .slice(i, i + RESTORE_BATCH)
          .map(({ group, session }) =>
            denylist.add(
              REVOCATION_KEY.sessionInGroup(group, session.id),
              Math.max(1, Math.ceil(session.revokedAt + windowMs - at)),
            ),
          ),
      );
    }
    return entries.length;
  }

  async function rebuild(): Promise<void> {
    const started = performance.now();
    const deadline = started + claimTtlMs;
    let sessions = 0;
    let groups = 0;
    while (performance.now() < deadline) {
      const markers = await denylist.getMany(MARKER_KEYS);
      const missing: number[] = [];
      let claimedElsewhere = false;
      markers.forEach((marker, group) => {
        if (marker === null || marker === undefined) missing.push(group);
        else if (!isComplete(marker)) claimedElsewhere = true;
      });
      if (missing.length === 0) {
        if (claimedElsewhere) {
          // Another process holds some claims: wait for it (a claim expires if its holder died).
          await sleep(pollMs);
          continue;
        }
        if (groups > 0) {
          options.onRebuilt?.({
            sessions,
            groups,
            durationMs: performance.now() - started,
            lost: seenComplete,
          });
        }
        seenComplete = true;
        return;
      }
      const claim = `${PENDING}${randomUUID()}`;
      const won = await inBatches(missing, MARKER_BATCH, (group) =>
        denylist.compareAndSet(completenessMarkerKey(group), null, claim, claimTtlMs),
      );
      const held = new Set(missing.filter((_group, i) => won[i]));
      if (held.size === 0) continue;
      const restored = await restore(claim, held);
      if (restored === null) continue;
      const done = await inBatches([...held], MARKER_BATCH, (group) =>
        denylist.compareAndSet(
          completenessMarkerKey(group),
          claim,
          `${COMPLETE}${randomUUID()}`,
          markerTtlMs,
        ),
      );
      // A group not done lost its claim (its data went again, or the claim expired): what was
      // restored into it may be gone too, so the next pass takes it again.
      sessions += restored;
      groups += done.filter(Boolean).length;
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

  async function read(
    userId: string,
    keys: readonly string[],
  ): Promise<{ marker: string; values: (string | null)[] }> {
    const marker = completenessMarkerKey(revocationGroupOf(userId));
    const first = await denylist.getMany([marker, ...keys]);
    if (isComplete(first[0])) {
      seenComplete = true;
      return { marker: first[0] as string, values: first.slice(1) };
    }
    await waitForRebuild();
    const second = await denylist.getMany([marker, ...keys]);
    if (isComplete(second[0])) return { marker: second[0] as string, values: second.slice(1) };
    // Lost again right after the rebuild: never answer from an incomplete list.
    throw new StoreError('unavailable', 'The denylist is incomplete', { retryAfterSeconds: 1 });
  }

  return {
    async lookup(userId, keys) {
      return (await read(userId, keys)).values;
    },
    read,
    async ensureComplete() {
      const markers = await denylist.getMany(MARKER_KEYS);
      if (markers.every(isComplete)) {
        seenComplete = true;
        return;
      }
      await waitForRebuild();
    },
  };
}
