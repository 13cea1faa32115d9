import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { MeView } from '../../src/routes/me-route.ts';
import { apiGet } from './api.ts';

/** Who is signed in, for every page. */
export const MeContext = createContext<MeView | null>(null);

/** Names of keys and teams by id, for showing `research` where the API says `01a2…`. */
export interface Names {
  key(id: string | null): string;
  team(id: string | null): string;
}

interface Listed {
  data: { id: string; name: string }[];
}

let adminNames: Promise<{ keys: Map<string, string>; teams: Map<string, string> }> | undefined;

/** The master key may list every key and team (once per page load); a virtual key knows its own. */
function namesFor(me: MeView): Promise<{ keys: Map<string, string>; teams: Map<string, string> }> {
  if (!me.master) {
    return Promise.resolve({
      keys: new Map(me.key === null ? [] : [[me.key.id, me.key.name]]),
      teams: new Map(me.team === null ? [] : [[me.team.id, me.team.name]]),
    });
  }
  adminNames ??= Promise.all([apiGet<Listed>('/admin/keys'), apiGet<Listed>('/admin/teams')]).then(
    ([keys, teams]) => ({ keys: new Map(keys.data.map((key) => [key.id, key.name])), teams: new Map(teams.data.map((team) => [team.id, team.name])) }),
    () => ({ keys: new Map(), teams: new Map() }),
  );
  return adminNames;
}

/** Key and team names for the signed-in caller; ids stand in for names it cannot see. */
export function useNames(): Names {
  const me = useContext(MeContext);
  const [maps, setMaps] = useState<{ keys: Map<string, string>; teams: Map<string, string> }>({ keys: new Map(), teams: new Map() });
  useEffect(() => {
    if (me !== null) void namesFor(me).then(setMaps);
  }, [me]);
  return {
    key: (id) => (id === null ? 'master key' : (maps.keys.get(id) ?? id)),
    team: (id) => (id === null ? 'no team' : (maps.teams.get(id) ?? id)),
  };
}

/** Forgets the names listed for the previous key (on sign-out). */
export function forgetNames(): void {
  adminNames = undefined;
}
