import { randomBytes } from 'node:crypto';
import { createJwtCodec, deriveJwtKey } from './src/crypto/jwt/index.ts';
const cls = { typ: 'at+jwt', audience: 'https://app', lifetimeSeconds: 900 };
for (const alg of ['HS256', 'EdDSA', 'ES256'] as const) {
  for (const cacheSize of alg === 'HS256' ? [0] : [0, 10000]) {
    const codec = createJwtCodec({ algorithm: alg, keys: [deriveJwtKey(alg, randomBytes(32), 'k1')], issuer: 'https://app', verifiedCacheSize: cacheSize });
    const token = await codec.sign(cls, { sub: 'u1', jti: 'j1', sid: 's1', amr: ['pwd'], roles: ['admin'] });
    let t0 = performance.now();
    for (let i = 0; i < 200; i++) await codec.sign(cls, { sub: 'u1', jti: 'j1' });
    const signUs = ((performance.now() - t0) / 200) * 1000;
    for (let i = 0; i < 2000; i++) await codec.verify(token, cls);
    const n = alg === 'HS256' || cacheSize > 0 ? 100000 : 5000;
    t0 = performance.now();
    for (let i = 0; i < n; i++) await codec.verify(token, cls);
    console.log(alg, 'cache', cacheSize, 'verify µs', (((performance.now() - t0) / n) * 1000).toFixed(2), 'sign µs', signUs.toFixed(1), token.length);
  }
}
