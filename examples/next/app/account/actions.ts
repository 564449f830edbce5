'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { auth, requireAuth } from '../../lib/auth';

/**
 * A Server Action: the caller from the session cookie (Next refuses an action whose Origin is
 * not the page's Host, so no CSRF token is needed here), then their own display name changed.
 */
export async function rename(formData: FormData): Promise<void> {
  const principal = await requireAuth({ otherwise: () => redirect('/') });
  const name = String(formData.get('name') ?? '')
    .trim()
    .slice(0, 100);
  await (await auth.get()).api.users.update(principal.userId, { name: name === '' ? null : name });
  revalidatePath('/account');
}
