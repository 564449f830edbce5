/**
 * Threat: database credentials leaking into logs. Operators log `describe()` at startup, and
 * errors (bad URL, unreachable server) end up in logs and crash reports.
 *
 * Invariant: no description, error message, error cause chain or inspected object produced
 * by the SQL layer contains the password (or user name) of the connection URL, whether raw
 * or percent-decoded.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { StoreError } from '../../src/stores/contract.ts';
import { openDatabase, parseDatabaseUrl } from '../../src/stores/sql/database.ts';
import { findFreePort } from '../fixtures/free-port.ts';

const USER = 'svc_gatehouse_user';
const PASSWORD = 'Hunter2-p@ss:w/rd';
const ENCODED_PASSWORD = encodeURIComponent(PASSWORD);

function assertNoCredentials(text: string, context: string): void {
  for (const secret of [PASSWORD, ENCODED_PASSWORD, USER, 'Hunter2']) {
    assert.ok(!text.includes(secret), `${context} leaks a credential: ${text}`);
  }
}

function everythingAbout(error: unknown): string {
  return [String(error), inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true })].join('\n');
}

describe('credential leak', () => {
  it('credential leak - describe() should never contain the password of a postgres URL', async () => {
    const urls = [
      [`postgres://${USER}:${ENCODED_PASSWORD}@db.internal:5433/auth`, 'db.internal:5433/auth'],
      [`postgresql://${USER}:${ENCODED_PASSWORD}@db.internal/auth?sslmode=require`, 'db.internal:5432/auth'],
      [
        `postgres://${USER}:${ENCODED_PASSWORD}@/auth?host=%2Fvar%2Frun%2Fpostgresql`,
        '/var/run/postgresql:5432/auth',
      ],
      [`postgres://db.internal/auth?user=${USER}&password=${ENCODED_PASSWORD}`, 'db.internal:5432/auth'],
    ] as const;
    for (const [url, where] of urls) {
      const database = await openDatabase({ url });
      try {
        assert.equal(database.describe(), `postgres (${where})`);
        assertNoCredentials(database.describe(), 'describe()');
      } finally {
        await database.close();
      }
    }
  });

  it('credential leak - inspecting an open Database should never show the password', async () => {
    const database = await openDatabase({ url: `postgres://${USER}:${ENCODED_PASSWORD}@db.internal/auth` });
    try {
      assertNoCredentials(inspect(database, { depth: 8, showHidden: true }), 'inspect(database)');
      assertNoCredentials(JSON.stringify(database), 'JSON.stringify(database)');
    } finally {
      await database.close();
    }
  });

  it('credential leak - a malformed or unsupported URL should fail without echoing it', async () => {
    const urls = [
      `mysql://${USER}:${ENCODED_PASSWORD}@db.internal/auth`,
      `postgres://${USER}:${ENCODED_PASSWORD}@[not-an-ip/auth`,
      `postgres://${USER}:${ENCODED_PASSWORD}@db.internal:99999999/auth`,
    ];
    for (const url of urls) {
      let caught: unknown;
      try {
        parseDatabaseUrl(url);
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof TypeError, 'rejected with a TypeError');
      assertNoCredentials(everythingAbout(caught), 'parseDatabaseUrl error');

      const opened = await openDatabase({ url }).then(
        () => assert.fail('openDatabase must reject'),
        (error: unknown) => error,
      );
      assertNoCredentials(everythingAbout(opened), 'openDatabase error');
    }
  });

  it('credential leak - a failed ping should not expose the password', async () => {
    const port = await findFreePort();
    const database = await openDatabase({
      url: `postgres://${USER}:${ENCODED_PASSWORD}@127.0.0.1:${port}/auth`,
      connectTimeoutMs: 2000,
    });
    try {
      const error = await database.ping().then(
        () => assert.fail('nothing listens on the port'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof StoreError);
      assert.equal(error.kind, 'unavailable');
      assertNoCredentials(everythingAbout(error), 'ping error');
    } finally {
      await database.close();
    }
  });
});
