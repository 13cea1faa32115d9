import { useEffect, useState } from 'preact/hooks';
import type { MeView } from '../../src/routes/me-route.ts';
import { apiGet, onSignedOut } from './api.ts';
import { CachePage } from './pages/cache-page.tsx';
import { RunPage } from './pages/run-page.tsx';
import { RunsPage } from './pages/runs-page.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { SpendPage } from './pages/spend-page.tsx';
import { ReplayPage, ReplaysPage } from './pages/replays-page.tsx';
import { linkClick, useRoute } from './router.ts';
import { forgetNames, MeContext } from './names.ts';
import { forgetKey, storedKey } from './session.ts';

function who(me: MeView): string {
  if (me.master) return 'master key (sees everything)';
  return `key ${me.key?.name ?? me.key?.id ?? '?'}${me.team === null ? '' : ` · team ${me.team.name ?? me.team.id}`}`;
}

function Page({ path, query }: { path: string; query: URLSearchParams }) {
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run !== null) return <RunPage runId={decodeURIComponent(run[1]!)} />;
  const replay = /^\/replays\/([^/]+)$/.exec(path);
  if (replay !== null) return <ReplayPage replayId={decodeURIComponent(replay[1]!)} query={query} />;
  if (path === '/spend') return <SpendPage query={query} />;
  if (path === '/replays') return <ReplaysPage />;
  if (path === '/cache') return <CachePage query={query} />;
  if (path === '/' || path === '/runs') return <RunsPage query={query} />;
  return <p class="bad">No console page at {path}. <a href="/console" onClick={linkClick('/')}>Go to the runs list.</a></p>;
}

/** The console: sign-in until a key is held, then the pages under a bar naming who is signed in. */
export function App() {
  const [me, setMe] = useState<MeView | null>();
  const { path, query } = useRoute();
  useEffect(() => {
    const signOut = onSignedOut(() => {
      forgetNames();
      setMe(null);
    });
    if (storedKey() === null) setMe(null);
    else apiGet<MeView>('/v1/me').then(setMe, () => setMe(null));
    return signOut;
  }, []);
  if (me === undefined) return <p class="muted">loading…</p>;
  if (me === null) return <SignIn onSignedIn={setMe} />;
  const tab = (to: string, label: string, active: boolean) => (
    <a href={`/console${to}`} onClick={linkClick(to)} class={active ? 'active' : ''}>{label}</a>
  );
  return (
    <MeContext.Provider value={me}>
      <nav class="top">
        <strong>Gantry</strong>
        {tab('/', 'Runs', path === '/' || path.startsWith('/runs'))}
        {tab('/spend', 'Spend', path === '/spend')}
        {tab('/replays', 'Replays', path.startsWith('/replays'))}
        {tab('/cache', 'Cache', path === '/cache')}
        <span class="who" data-who>{who(me)}</span>
        <button
          type="button"
          onClick={() => {
            forgetKey();
            forgetNames();
            setMe(null);
          }}
        >
          Sign out
        </button>
      </nav>
      <main>
        <Page path={path} query={query} />
      </main>
    </MeContext.Provider>
  );
}
