/**
 * The app's one Gatehouse instance, as a module-level value: lazyAuth starts it on the first
 * request (never during `next build`), shares that start between concurrent requests, answers
 * 503 and retries after a failed start, and keeps one instance across dev-mode reloads
 * (globalKey). Embedded default: SQLite in $GATEHOUSE_DATA_DIR (./data), mail printed to the
 * console unless $GATEHOUSE_MAIL_URL says otherwise.
 */
import { createAuth, lazyAuth } from 'gatehouse';
import { nextAuth } from 'gatehouse/next';
import { headers } from 'next/headers';

const mailUrl = process.env.GATEHOUSE_MAIL_URL;
const port = process.env.PORT ?? '3000';

export const auth = lazyAuth(
  async () => {
    const instance = await createAuth({
      // `next start` sets NODE_ENV=production; this demo keeps Gatehouse's development mode
      // (a generated secret in the data folder, http on localhost). A deployment sets secrets
      // and its https baseUrl instead, and drops this line.
      mode: 'development',
      baseUrl: process.env.GATEHOUSE_BASE_URL ?? `http://localhost:${port}`,
      dataDir: process.env.GATEHOUSE_DATA_DIR ?? './data',
      // Next serves app/api/[...gatehouse] under /api; equal to it, Gatehouse sees the path a client signed.
      http: { basePath: '/api' },
      ...(mailUrl ? { mail: { url: mailUrl } } : {}),
    });
    await instance.migrate();
    return instance;
  },
  { globalKey: 'gatehouse-example-next' },
);

export const { getAuth, authorize, requireAuth } = nextAuth(auth, { headers });
