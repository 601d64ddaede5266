/**
 * The browser-mode access token: `cwb serve` prints a URL with `?token=…`; the token is kept in
 * sessionStorage so reloading the page without the query (or after navigating) still authenticates.
 */

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const TOKEN_KEY = 'cwb.token';

export function resolveToken(search: string, storage: KeyValueStorage | null): string | null {
  const fromUrl = new URLSearchParams(search).get('token');
  try {
    if (fromUrl) {
      storage?.setItem(TOKEN_KEY, fromUrl);
      return fromUrl;
    }
    return storage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    // Storage can be disabled (privacy settings); the URL token still works for this page load.
    return fromUrl;
  }
}

export function engineSocketUrl(loc: { readonly protocol: string; readonly host: string }, token: string | null): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/api/ws?token=${encodeURIComponent(token ?? '')}`;
}

/** Reconnect delays: quick first retries (a server restart), then capped so a dead engine is not hammered. */
export function backoffMs(attempt: number, baseMs = 500, maxMs = 8000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
