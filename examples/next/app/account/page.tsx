import { auth, getAuth } from '../../lib/auth';
import { rename } from './actions';

export const runtime = 'nodejs';
// Per request: the page reads the caller's cookie.
export const dynamic = 'force-dynamic';

/** A Server Component: the signed-in user from the session cookie (CSRF does not apply to reads). */
export default async function AccountPage() {
  const principal = await getAuth();
  if (principal === null) {
    return (
      <main>
        <p data-testid="signed-out">Not signed in.</p>
      </main>
    );
  }
  const user = await (await auth.get()).api.getUser(principal);
  return (
    <main>
      <p data-testid="signed-in">
        Signed in as <span data-testid="email">{user?.email}</span> (
        <span data-testid="user-id">{principal.userId}</span>)
      </p>
      <p>
        Name: <span data-testid="name">{user?.name ?? ''}</span>
      </p>
      <form action={rename}>
        <input name="name" aria-label="New name" data-testid="name-input" />
        <button type="submit" data-testid="rename">
          Rename
        </button>
      </form>
    </main>
  );
}
