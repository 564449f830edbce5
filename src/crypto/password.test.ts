import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { hashRaw, type Options, parseOptions } from '@node-rs/argon2';
import { createPasswordHasher, DEFAULT_ARGON2_PARAMS } from './password.ts';

interface Argon2Case {
  password: string;
  salt: string;
  t: number;
  m: number;
  p: number;
  hex: string;
  phc: string;
  overVerifyLimit?: boolean;
}
interface ScryptCase {
  password: string;
  salt: string;
  N: number;
  r: number;
  p: number;
  hex: string;
  phc: string;
}

const readVectors = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../test/vectors/${name}`, import.meta.url), 'utf8')) as T;
const argon2Vectors = readVectors<{ cases: Argon2Case[] }>('argon2id.json').cases;
const scryptVectors = readVectors<{ cases: ScryptCase[] }>('scrypt.json').cases;

/** Small parameters keep most cases fast; the defaults get their own cases. */
const FAST = { memoryKiB: 256, timeCost: 2, parallelism: 1 } as const;
const ARGON2ID = 2 as Options['algorithm'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('createPasswordHasher', () => {
  it('hash - should produce an argon2id v19 PHC string with the default parameters and a 16-byte salt', async () => {
    const hasher = createPasswordHasher();
    const phc = await hasher.hash('correct horse battery staple');
    assert.match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const stored = parseOptions(phc);
    assert.equal(stored.saltLen, 16);
    assert.equal(stored.outputLen, 32);
    assert.deepEqual(DEFAULT_ARGON2_PARAMS, { memoryKiB: 19456, timeCost: 2, parallelism: 1 });
  });

  it('hash - should use a fresh salt for every hash of the same password', async () => {
    const hasher = createPasswordHasher(FAST);
    assert.notEqual(await hasher.hash('same password'), await hasher.hash('same password'));
  });

  it('verify - should accept the password that was hashed and refuse any other', async () => {
    const hasher = createPasswordHasher(FAST);
    const phc = await hasher.hash('correct horse battery staple');
    assert.equal(await hasher.verify(phc, 'correct horse battery staple'), true);
    assert.equal(await hasher.verify(phc, 'correct horse battery stapl'), false);
    assert.equal(await hasher.verify(phc, 'Correct horse battery staple'), false);
    assert.equal(await hasher.verify(phc, ''), false);
  });

  it('verify - should treat canonically equivalent passwords (NFC and NFD) as the same password', async () => {
    const hasher = createPasswordHasher(FAST);
    const composed = 'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e';
    const decomposed = composed.normalize('NFD');
    assert.notEqual(composed, decomposed);
    assert.equal(await hasher.verify(await hasher.hash(decomposed), composed), true);
    assert.equal(await hasher.verify(await hasher.hash(composed), decomposed), true);
    // Compatibility forms are not folded (NFC, not NFKC): the ligature "ﬁ" is not "fi".
    assert.equal(await hasher.verify(await hasher.hash('\ufb01ne password'), 'fine password'), false);
  });

  it('verify - should resolve false, never reject, for malformed and unknown hash strings', async () => {
    const hasher = createPasswordHasher(FAST);
    const good = await hasher.hash('pw');
    const malformed: unknown[] = [
      '',
      'pw',
      '$argon2id$',
      good.slice(0, -10),
      `${good}$extra`,
      good.replace('$v=19', '$v=99'),
      good.replace(/\$[^$]+\$[^$]+$/, '$$'),
      '$argon2id$v=19$m=256,t=2,p=1$$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
      '$argon2x$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
      '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
      '$scrypt$ln=10,r=8,p=16$TmFDbA$',
      '$scrypt$ln=10,r=8,p=16$TmFDbA==$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA',
      '$scrypt$ln=0,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA',
      `$argon2id$v=19$m=256,t=2,p=1$${'A'.repeat(600)}$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4`,
      null,
      undefined,
      42,
      { toString: () => good },
    ];
    for (const hash of malformed) {
      assert.equal(await hasher.verify(hash as string, 'pw'), false, `for ${String(hash).slice(0, 60)}`);
    }
    for (const password of [null, undefined, 7, 'x'.repeat(4097)]) {
      assert.equal(await hasher.verify(good, password as string), false);
    }
  });

  it('verify - should refuse, without doing the work, a stored hash whose cost would exhaust memory', async () => {
    const hasher = createPasswordHasher(FAST);
    const started = performance.now();
    // 4 TiB of memory if it were honoured: this would kill the process.
    const hostile =
      '$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4';
    assert.equal(await hasher.verify(hostile, 'password'), false);
    assert.equal(
      await hasher.verify(hostile.replace('t=2', 't=4294967295').replace(/m=\d+/, 'm=256'), 'password'),
      false,
    );
    assert.equal(
      await hasher.verify(hostile.replace('p=1', 'p=255').replace(/m=\d+/, 'm=4096'), 'password'),
      false,
    );
    // 1 GiB scrypt (RFC 7914 vector 4 parameters).
    assert.equal(
      await hasher.verify('$scrypt$ln=20,r=8,p=1$U29kaXVtQ2hsb3JpZGU$AAAAAAAAAAAAAAAAAAAAAA', 'x'),
      false,
    );
    assert.ok(performance.now() - started < 200);
  });

  it('verify - should accept argon2id PHC strings of the reference implementation and refuse wrong passwords', async () => {
    const hasher = createPasswordHasher();
    for (const vector of argon2Vectors.filter((v) => !v.overVerifyLimit)) {
      assert.equal(await hasher.verify(vector.phc, vector.password), true, vector.phc);
      assert.equal(await hasher.verify(vector.phc, `${vector.password}!`), false, vector.phc);
    }
  });

  it('argon2 - should reproduce the reference implementation raw outputs (the vectors are genuine)', async () => {
    for (const vector of argon2Vectors.filter((v) => !v.overVerifyLimit)) {
      const raw = await hashRaw(vector.password, {
        algorithm: ARGON2ID,
        memoryCost: vector.m,
        timeCost: vector.t,
        parallelism: vector.p,
        salt: Buffer.from(vector.salt),
        outputLen: 32,
      });
      assert.equal(raw.toString('hex'), vector.hex, vector.phc);
      assert.equal(vector.phc.split('$').at(-1), raw.toString('base64').replace(/=+$/, ''));
    }
  });

  it('verify - should refuse a genuine hash whose memory cost is above the verification limit', async () => {
    const hasher = createPasswordHasher();
    const heavy = argon2Vectors.find((v) => v.overVerifyLimit);
    assert.ok(heavy, 'the vector file holds a case above the limit');
    assert.equal(await hasher.verify(heavy.phc, heavy.password), false);
  });

  it('verify - should accept legacy scrypt PHC strings (RFC 7914 vectors) and refuse wrong or altered ones', async () => {
    const hasher = createPasswordHasher(FAST);
    for (const vector of scryptVectors) {
      assert.equal(await hasher.verify(vector.phc, vector.password), true, vector.phc);
      assert.equal(await hasher.verify(vector.phc, `${vector.password}x`), false);
      const flipped = `${vector.phc.slice(0, -2)}${vector.phc.at(-2) === 'A' ? 'B' : 'A'}${vector.phc.at(-1)}`;
      assert.equal(await hasher.verify(flipped, vector.password), false);
      assert.equal(await hasher.verify(vector.phc.replace(/p=\d+/, 'p=2'), vector.password), false);
      assert.equal(Buffer.from(vector.phc.split('$').at(-1)!, 'base64').toString('hex'), vector.hex);
    }
  });

  it('needsRehash - should be false only for argon2id with exactly the current parameters', async () => {
    const hasher = createPasswordHasher(FAST);
    const current = await hasher.hash('pw');
    assert.equal(hasher.needsRehash(current), false);
    assert.equal(createPasswordHasher({ ...FAST, memoryKiB: 512 }).needsRehash(current), true);
    assert.equal(createPasswordHasher({ ...FAST, timeCost: 3 }).needsRehash(current), true);
    assert.equal(createPasswordHasher({ ...FAST, parallelism: 2 }).needsRehash(current), true);
    // Same parameters, but the reference vector's 8-byte salt is shorter than ours.
    assert.equal(hasher.needsRehash(argon2Vectors[0]!.phc), true);
  });

  it('needsRehash - should be true for argon2i, argon2d, version 0x10, legacy scrypt and garbage', () => {
    const hasher = createPasswordHasher(FAST);
    const cases = [
      '$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8',
      '$argon2d$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8',
      '$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY',
      scryptVectors[0]!.phc,
      '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
      '',
      'garbage',
    ];
    for (const phc of cases) assert.equal(hasher.needsRehash(phc), true, phc);
    assert.equal(hasher.needsRehash(undefined as unknown as string), true);
  });

  it('verifyDummy - should always resolve false and cost about as much as a real verify', async () => {
    const hasher = createPasswordHasher();
    const phc = await hasher.hash('the real password');
    assert.equal(await hasher.verifyDummy('the real password'), false);
    assert.equal(await hasher.verifyDummy('x'.repeat(5000)), false);
    const real: number[] = [];
    const dummy: number[] = [];
    for (let i = 0; i < 5; i++) {
      let started = performance.now();
      await hasher.verify(phc, 'a wrong password');
      real.push(performance.now() - started);
      started = performance.now();
      await hasher.verifyDummy('a wrong password');
      dummy.push(performance.now() - started);
    }
    const ratio = median(dummy) / median(real);
    assert.ok(ratio > 0.5 && ratio < 2, `dummy/real verify time ratio ${ratio.toFixed(2)}`);
  });

  it('hash - should run off the event loop: a timer keeps ticking while 4 hashes run', async () => {
    // Costly hashes, so that one run on the main thread would stall the loop for its whole
    // duration; the bound is relative to that duration, which keeps the test meaningful (and
    // not flaky) on a loaded machine.
    const hasher = createPasswordHasher({ memoryKiB: 65_536, timeCost: 8 });
    await hasher.hash('warm up the pool');
    const single = performance.now();
    await hasher.hash('measure one hash');
    const oneHashMs = performance.now() - single;
    let last = performance.now();
    let maxGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks += 1;
    }, 10);
    try {
      const hashes = await Promise.all([1, 2, 3, 4].map((n) => hasher.hash(`password number ${n}`)));
      assert.equal(new Set(hashes).size, 4);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks >= 3, `only ${ticks} timer ticks`);
    assert.ok(
      maxGap < oneHashMs / 2,
      `the event loop stalled for ${maxGap.toFixed(1)} ms (one hash: ${oneHashMs.toFixed(1)} ms)`,
    );
  });

  it('hash - should refuse a non-string or oversized password with a TypeError', async () => {
    const hasher = createPasswordHasher(FAST);
    await assert.rejects(hasher.hash(undefined as unknown as string), TypeError);
    await assert.rejects(hasher.hash('x'.repeat(4097)), TypeError);
  });

  it('createPasswordHasher - should refuse parameters outside argon2 limits with a TypeError', () => {
    for (const params of [
      { memoryKiB: 0 },
      { memoryKiB: 7 },
      { memoryKiB: 19456.5 },
      { memoryKiB: 4 * 1024 * 1024 + 1 },
      { timeCost: 0 },
      { timeCost: 65 },
      { parallelism: 0 },
      { parallelism: 256 },
      { parallelism: 4, memoryKiB: 16 },
      { memoryKiB: Number.NaN },
      { timeCost: '2' as unknown as number },
    ]) {
      assert.throws(() => createPasswordHasher(params), TypeError, JSON.stringify(params));
    }
    assert.doesNotThrow(() => createPasswordHasher({ memoryKiB: 8, timeCost: 1, parallelism: 1 }));
  });
});
