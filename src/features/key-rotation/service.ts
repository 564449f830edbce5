import { type Aead, isAeadError } from '../../crypto/aead.ts';
import { encryptedColumnAad } from '../../stores/repositories.ts';

/** One encrypted column, named as the store names it. */
export interface ColumnRef {
  readonly table: string;
  readonly column: string;
}

/**
 * What key rotation needs from the database: the encrypted columns, counted and paged by row
 * id, with a conditional replace. The SQL backend's encrypted-columns repository provides it.
 */
export interface EncryptedColumnStore {
  readonly columns: readonly ColumnRef[];
  countByKeyId(): Promise<
    readonly {
      readonly table: string;
      readonly column: string;
      readonly keyId: string | null;
      readonly rows: number;
    }[]
  >;
  page(
    table: string,
    column: string,
    options: { readonly afterId: string | null; readonly limit: number },
  ): Promise<readonly { readonly id: string; readonly value: string }[]>;
  replace(table: string, column: string, id: string, expected: string, next: string): Promise<boolean>;
}

/** Rows of one column under one key id. */
export interface KeyRows {
  readonly keyId: string;
  readonly rows: number;
  /** The active key: new values are encrypted with it. */
  readonly active: boolean;
  /** Whether the keyring still holds this key (rows under a key that left it cannot be read). */
  readonly inRing: boolean;
}

export interface ColumnKeyStatus extends ColumnRef {
  /** Key ids found in the column, the active one always listed (with 0 rows if none). */
  readonly keys: readonly KeyRows[];
  /** Values that are not well-formed envelopes: re-encryption stops on them. */
  readonly malformed: number;
  /** Non-null values in the column. */
  readonly total: number;
}

export interface KeyStatus {
  readonly activeKeyId: string;
  readonly columns: readonly ColumnKeyStatus[];
  /** Rows not yet under the active key, malformed ones included: 0 when rotation is complete. */
  readonly pending: number;
}

/** Reported after each batch of one column. */
export interface ReencryptProgress extends ColumnRef {
  /** Rows of this column re-encrypted so far in this run. */
  readonly done: number;
  /**
   * Rows of this column still under another key: the count when the column's pass started,
   * minus the rows handled since (re-encrypted, or changed meanwhile and left alone).
   */
  readonly remaining: number;
}

export interface ReencryptOptions {
  /**
   * Rows read (and rewritten) per batch.
   * @default 500
   */
  readonly batchSize?: number;
  readonly onProgress?: (progress: ReencryptProgress) => void;
}

export interface ColumnReencryptResult extends ColumnRef {
  /** Rows rewritten under the active key. */
  readonly reencrypted: number;
  /** Rows already under the active key, left as they were. */
  readonly alreadyActive: number;
  /**
   * Rows whose value changed between the read and the write (2FA disabled or re-enrolled
   * meanwhile): left alone, never overwritten. `keys status` tells whether any still need work.
   */
  readonly changedMeanwhile: number;
}

export interface ReencryptResult {
  readonly activeKeyId: string;
  readonly columns: readonly ColumnReencryptResult[];
}

export type KeyRotationErrorReason = 'malformed' | 'unknown_key' | 'failed';

const DESCRIPTIONS: Readonly<Record<KeyRotationErrorReason, string>> = Object.freeze({
  malformed: 'is not a well-formed encrypted envelope',
  unknown_key: 'is encrypted under a key id that is not in the keyring',
  failed:
    'failed authentication (a different secret under the same id, a value copied from another row, or tampering)',
});

/**
 * Re-encryption stopped at a row it cannot read. The message names the table, column and row
 * id (and, for an unknown key, the key id) but never the stored value. Everything re-encrypted
 * before it stays done; `completed` says what was.
 */
export class KeyRotationError extends Error {
  override readonly name = 'KeyRotationError';
  readonly code = 'KEY_ROTATION_STOPPED';
  readonly reason: KeyRotationErrorReason;
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
  /** The key id the envelope names (`unknown_key` and `failed` only). */
  readonly keyId: string | undefined;
  /** Per column, what this run finished before stopping. */
  readonly completed: readonly ColumnReencryptResult[];

  constructor(
    reason: KeyRotationErrorReason,
    where: { table: string; column: string; rowId: string; keyId?: string },
    completed: readonly ColumnReencryptResult[],
  ) {
    const key = where.keyId === undefined ? '' : ` (key id ${where.keyId})`;
    super(`${where.table}.${where.column} row ${where.rowId} ${DESCRIPTIONS[reason]}${key}`);
    this.reason = reason;
    this.table = where.table;
    this.column = where.column;
    this.rowId = where.rowId;
    this.keyId = where.keyId;
    this.completed = completed;
  }
}

/** Whether `value` is a {@link KeyRotationError} (also across module copies). */
export function isKeyRotationError(value: unknown): value is KeyRotationError {
  return (
    value instanceof KeyRotationError ||
    (value instanceof Error && value.name === 'KeyRotationError' && 'rowId' in value)
  );
}

export interface KeyService {
  /** Rows per key id in every encrypted column, which key is active, and malformed values. */
  status(): Promise<KeyStatus>;
  /**
   * Rewrites every value not under the active key with the active key (same associated data),
   * in batches, each row with a conditional replace. Resumable: rows already under the active
   * key are skipped, so a second run continues where one stopped. Throws a
   * {@link KeyRotationError} at the first row it cannot decrypt; never skips one silently.
   */
  reencrypt(options?: ReencryptOptions): Promise<ReencryptResult>;
}

export interface KeyServiceOptions {
  readonly aead: Aead;
  readonly columns: EncryptedColumnStore;
  readonly activeKeyId: string;
  /** Every key id in the ring, to flag rows under a key that has left it. */
  readonly ringKeyIds?: readonly string[];
}

const DEFAULT_BATCH_SIZE = 500;
const MAX_BATCH_SIZE = 10_000;

/**
 * Key rotation for encrypted columns: `status` counts rows per key id; `reencrypt` moves rows
 * under older keys to the active one.
 */
export function createKeyService(options: KeyServiceOptions): KeyService {
  const { aead, columns, activeKeyId } = options;
  const ring = new Set(options.ringKeyIds ?? [activeKeyId]);

  async function status(): Promise<KeyStatus> {
    const counts = await columns.countByKeyId();
    let pending = 0;
    const perColumn = columns.columns.map((ref): ColumnKeyStatus => {
      const mine = counts.filter((count) => count.table === ref.table && count.column === ref.column);
      const keys: KeyRows[] = [];
      let malformed = 0;
      let total = 0;
      for (const count of mine) {
        total += count.rows;
        if (count.keyId === null) malformed += count.rows;
        else
          keys.push({
            keyId: count.keyId,
            rows: count.rows,
            active: count.keyId === activeKeyId,
            inRing: ring.has(count.keyId),
          });
      }
      if (!keys.some((key) => key.active))
        keys.push({ keyId: activeKeyId, rows: 0, active: true, inRing: true });
      // Active key first, then the others by id, so the report reads the same on every run.
      keys.sort(
        (a, b) => Number(b.active) - Number(a.active) || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0),
      );
      pending += total - (keys.find((key) => key.active)?.rows ?? 0);
      return { table: ref.table, column: ref.column, keys, malformed, total };
    });
    return { activeKeyId, columns: perColumn, pending };
  }

  async function reencrypt(runOptions: ReencryptOptions = {}): Promise<ReencryptResult> {
    const batchSize = runOptions.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}`);
    }
    const before = await status();
    const completed: ColumnReencryptResult[] = [];
    for (const columnStatus of before.columns) {
      const { table, column } = columnStatus;
      let reencrypted = 0;
      let alreadyActive = 0;
      let changedMeanwhile = 0;
      let remaining = columnStatus.total - (columnStatus.keys.find((key) => key.active)?.rows ?? 0);
      const stop = (reason: KeyRotationErrorReason, rowId: string, keyId?: string): KeyRotationError =>
        new KeyRotationError(reason, { table, column, rowId, ...(keyId === undefined ? {} : { keyId }) }, [
          ...completed,
          { table, column, reencrypted, alreadyActive, changedMeanwhile },
        ]);

      let afterId: string | null = null;
      for (;;) {
        const rows = await columns.page(table, column, { afterId, limit: batchSize });
        if (rows.length === 0) break;
        for (const row of rows) {
          afterId = row.id;
          let keyId: string;
          try {
            keyId = aead.keyIdOf(row.value);
          } catch (error) {
            if (isAeadError(error)) throw stop('malformed', row.id);
            throw error;
          }
          if (keyId === activeKeyId) {
            alreadyActive++;
            continue;
          }
          const aad = encryptedColumnAad(table, column, row.id);
          let plaintext: Buffer;
          try {
            plaintext = aead.decrypt(row.value, aad);
          } catch (error) {
            if (isAeadError(error)) throw stop(error.reason, row.id, keyId);
            throw error;
          }
          let next: string;
          try {
            next = aead.encrypt(plaintext, aad);
          } finally {
            plaintext.fill(0);
          }
          // A service built with another active id than the aead's would rewrite rows forever.
          if (aead.keyIdOf(next) !== activeKeyId)
            throw new Error('the AEAD encrypts under another key than activeKeyId');
          // Each replace commits on its own: a run that stops later loses nothing done here.
          if (await columns.replace(table, column, row.id, row.value, next)) reencrypted++;
          else changedMeanwhile++;
          remaining = Math.max(0, remaining - 1);
        }
        runOptions.onProgress?.({ table, column, done: reencrypted, remaining });
        if (rows.length < batchSize) break;
      }
      completed.push({ table, column, reencrypted, alreadyActive, changedMeanwhile });
    }
    return { activeKeyId, columns: completed };
  }

  return Object.freeze({ status, reencrypt });
}
