// Anonymous visitors of /account go to the home page first (no credential at all); a present but
// expired cookie passes here and the page's own getAuth() decides.
import { signInRedirect } from 'gatehouse/next';

export const proxy = signInRedirect({ signInPath: '/' });
export const config = { matcher: ['/account/:path*'] };
