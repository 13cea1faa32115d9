import { useState } from 'preact/hooks';
import type { MeView } from '../../../src/routes/me-route.ts';
import { apiGet } from '../api.ts';
import { storeKey } from '../session.ts';

/**
 * Sign-in with a key: the master key, or a virtual key (which sees its team's runs only). The key
 * is checked against `GET /v1/me` before it is kept, in this tab's session storage only.
 */
export function SignIn({ onSignedIn }: { onSignedIn: (me: MeView) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const key = new FormData(event.target as HTMLFormElement).get('key')?.toString().trim() ?? '';
    if (key === '') return setError('Enter a key: the master key (GANTRY_MASTER_KEY) or a virtual key (gk-…).');
    setBusy(true);
    try {
      const me = await apiGet<MeView>('/v1/me', { key });
      storeKey(key);
      onSignedIn(me);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>Gantry console</h1>
      <form onSubmit={submit}>
        <label>
          Key
          <input name="key" type="password" autocomplete="off" placeholder="GANTRY_MASTER_KEY or gk-…" autofocus />
        </label>
        <button type="submit" disabled={busy}>Sign in</button>
        {error === undefined ? null : <p class="bad" role="alert">{error}</p>}
        <p class="muted">The key stays in this browser tab (session storage) and is sent only to this gateway's API. Closing the tab signs out.</p>
      </form>
    </main>
  );
}
