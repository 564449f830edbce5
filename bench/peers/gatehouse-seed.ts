/**
 * Seeds a Gatehouse database for side-by-side.ts with the code of the tree it is given (so a
 * tree exported at another commit seeds with its own schema): migrates, then creates verified
 * users with the bench password. Run as its own process, before the server starts.
 *
 * argv: <tree root> <database url> <data dir> <secret> <user count> [redis url]
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, databaseUrl, dataDir, secret, count, redisUrl] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string | undefined,
];
const { createAuth } = (await import(
  pathToFileURL(join(root, 'src/index.ts')).href
)) as typeof import('../../src/index.ts');
const auth = await createAuth({
  mode: 'development',
  dataDir,
  baseUrl: 'http://127.0.0.1',
  logLevel: 'silent',
  secrets: [{ id: 'bench', secret }],
  database: { url: databaseUrl },
  stores: redisUrl ? { backend: 'redis', url: redisUrl } : { backend: 'memory' },
  mail: { url: `file://${join(dataDir, 'mail')}` },
});
try {
  await auth.migrate();
  for (let i = 0; i < Number(count); i++) {
    await auth.api.users.create({
      email: `reader-${i}@bench.example.com`,
      password: 'violet kettle orbit 2049 lantern',
      emailVerified: true,
    });
  }
} finally {
  await auth.close();
}
