/**
 * The SPA's script: every call goes through `gatehouse/client`, and the page shows whatever the
 * client's session store says (signed out, two-factor step, signed in), so the UI never guesses
 * who is signed in. An application imports `gatehouse/client`; the example imports the sources.
 */
import { type AuthClient, createAuthClient } from '../../../src/client/index.ts';

type Transport = 'cookie' | 'bearer';
const TRANSPORT_KEY = 'gatehouse-example.transport';

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
};

/** The transport chosen in this tab (cookie unless switched): a switch reloads the page. */
function chosenTransport(): Transport {
  return sessionStorage.getItem(TRANSPORT_KEY) === 'bearer' ? 'bearer' : 'cookie';
}

/** `/api` on this origin, or the API the server was told about ($GATEHOUSE_API_URL). */
function apiUrl(): URL {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="gatehouse-api-url"]');
  return new URL(meta?.content || '/api', location.href);
}

const api = apiUrl();
const client: AuthClient = createAuthClient({
  baseUrl: api.origin === location.origin ? '' : api.origin,
  basePath: api.pathname,
  transport: chosenTransport(),
});

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  const message = byId('message');
  message.textContent = text;
  message.dataset.kind = kind;
}

/** Shows the section for the session's state; a signed-in state also lists the sessions. */
function render(): void {
  const state = client.session.get();
  byId('status').textContent = `${client.transport} · ${state.status}`;
  byId('signed-out').hidden = state.status !== 'signed-out';
  byId('two-factor').hidden = state.status !== 'two-factor-required';
  byId('signed-in').hidden = state.status !== 'signed-in';
  if (state.status === 'signed-out' && state.reason === 'refresh-failed') {
    say('Your session ended (its refresh token was refused): sign in again.', 'error');
  }
  if (state.status === 'signed-in') {
    byId('user-email').textContent = state.user.email;
    byId('user-roles').textContent = state.user.roles.join(', ') || 'none';
    byId('user-2fa').textContent = state.user.twoFactorEnabled ? 'on' : 'off';
    void listSessions();
  }
}

async function listSessions(): Promise<void> {
  const { data, error } = await client.users.me.sessions.list();
  const list = byId<HTMLUListElement>('sessions');
  if (error !== null) {
    say(`Could not list the sessions: ${error.message}`, 'error');
    return;
  }
  list.replaceChildren(
    ...data.sessions.map((session) => {
      const item = document.createElement('li');
      const seen = new Date(session.lastUsedAt).toLocaleString();
      item.textContent = `${session.current ? '(this one) ' : ''}${session.userAgent ?? 'unknown device'}, last used ${seen}`;
      item.dataset.sessionId = session.id;
      return item;
    }),
  );
}

/** The fields of a submitted form, as strings. */
function fieldsOf(form: HTMLFormElement): Record<string, string> {
  return Object.fromEntries([...new FormData(form)].map(([name, value]) => [name, String(value)]));
}

function onSubmit(
  id: string,
  handle: (fields: Record<string, string>, form: HTMLFormElement) => Promise<void>,
) {
  const form = byId<HTMLFormElement>(id);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void handle(fieldsOf(form), form);
  });
}

onSubmit('sign-in', async ({ email = '', password = '' }, form) => {
  const { error } = await client.signIn({ email, password });
  if (error === null) {
    form.reset();
    say('');
    return;
  }
  switch (error.code) {
    case 'LOGIN_BAD_CREDENTIALS':
      say('Wrong email or password.', 'error');
      break;
    default:
      say(
        error.retryAfter === null ? error.message : `${error.message} Try again in ${error.retryAfter} s.`,
        'error',
      );
  }
});

onSubmit('sign-up', async ({ email = '', password = '' }, form) => {
  const { error } = await client.auth.register({ email, password });
  if (error === null) {
    form.reset();
    say('Check your mail for the verification link, then sign in.');
    return;
  }
  const details = error.problem?.errors?.map((issue) => issue.message).join('; ');
  say(details ? `${error.message}: ${details}` : error.message, 'error');
});

onSubmit('two-factor-form', async ({ code = '' }, form) => {
  const { error } = await client.auth.twoFactor.verify({ code });
  if (error === null) {
    form.reset();
    say('');
  } else {
    say(error.code === 'TWO_FACTOR_CODE_INVALID' ? 'That code is not valid.' : error.message, 'error');
  }
});

byId('sign-out').addEventListener('click', () => {
  void client.signOut().then(() => say('Signed out.'));
});

const transportSelect = byId<HTMLSelectElement>('transport');
transportSelect.value = client.transport;
transportSelect.addEventListener('change', () => {
  sessionStorage.setItem(TRANSPORT_KEY, transportSelect.value);
  location.reload();
});

/** The mail's verification link opens this page at /verify-email?token=…: finish it here. */
async function verifyFromLink(): Promise<void> {
  const token = new URLSearchParams(location.search).get('token');
  if (location.pathname !== '/verify-email' || token === null) return;
  history.replaceState(null, '', '/');
  const { error } = await client.auth.verify({ token });
  say(
    error === null ? 'Email verified: you can sign in.' : `Verification failed: ${error.message}`,
    error ? 'error' : 'info',
  );
}

client.session.subscribe(render);
render();
void verifyFromLink();
