import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openSqliteFile, toKyselySqliteDatabase } from './sqlite-dialect.ts';

// The statement cache checks nothing before each query: these hold without a schema_version read.
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a cached select * returns the columns another connection added or dropped since', () => {
  const path = join(dir, 'migrated.db');
  const ours = openSqliteFile(path);
  const theirs = openSqliteFile(path);
  const adapted = toKyselySqliteDatabase(ours);
  try {
    ours.exec('create table t (a integer, b integer); insert into t values (1, 2)');
    const select = 'select * from t';
    assert.deepEqual(adapted.prepare(select).all([]), [{ a: 1, b: 2 }]);
    theirs.exec('alter table t add column c integer default 3');
    assert.deepEqual(adapted.prepare(select).all([]), [{ a: 1, b: 2, c: 3 }]);
    theirs.exec('alter table t drop column a');
    assert.deepEqual(adapted.prepare(select).all([]), [{ b: 2, c: 3 }]);
  } finally {
    adapted.close();
    theirs.close();
  }
});

test('a statement that failed is prepared afresh and works once its table is back', () => {
  const path = join(dir, 'recreated.db');
  const ours = openSqliteFile(path);
  const theirs = openSqliteFile(path);
  const adapted = toKyselySqliteDatabase(ours);
  try {
    ours.exec('create table t (a integer)');
    const insert = 'insert into t (a) values (?)';
    adapted.prepare(insert).run([1]);
    theirs.exec('drop table t');
    assert.throws(() => adapted.prepare(insert).run([2]), /no such table/);
    theirs.exec('create table t (a integer, b integer default 7)');
    adapted.prepare(insert).run([3]);
    assert.deepEqual(adapted.prepare('select * from t').all([]), [{ a: 3, b: 7 }]);
  } finally {
    adapted.close();
    theirs.close();
  }
});
