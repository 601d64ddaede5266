/**
 * Who may talk to the browser-mode server: requests must come to 127.0.0.1 on our port (Host check: no DNS
 * rebinding), carry no foreign Origin, and carry the per-run token — in the `token` query parameter, the
 * `x-cwb-token` header or the `cwb_token_<port>` cookie that the page load sets (cookies are not port-scoped, so
 * the name carries the port: two servers open in one browser do not overwrite each other's cookie).
 */
import type { IncomingMessage } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const tokenCookieName = (port: number): string => `cwb_token_${port}`;

export function newToken(): string {
  return randomBytes(24).toString('hex');
}

export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export function tokenCookie(token: string, port: number): string {
  return `${tokenCookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}

export type Verdict = { readonly ok: true; readonly via: 'query' | 'header' | 'cookie' } | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

/** The access check every HTTP request and WebSocket upgrade goes through. */
export function checkRequest(req: IncomingMessage, url: URL, token: string, port: number): Verdict {
  const origin = `http://127.0.0.1:${port}`;
  if (req.headers.host !== `127.0.0.1:${port}`) return { ok: false, status: 403, reason: 'wrong Host header (open the URL printed by cwb serve)' };
  const o = req.headers.origin;
  if (o !== undefined && o !== origin) return { ok: false, status: 403, reason: 'foreign origin refused' };
  if (tokenMatches(url.searchParams.get('token'), token)) return { ok: true, via: 'query' };
  const h = req.headers['x-cwb-token'];
  if (typeof h === 'string' && tokenMatches(h, token)) return { ok: true, via: 'header' };
  if (tokenMatches(parseCookies(req.headers.cookie).get(tokenCookieName(port)), token)) return { ok: true, via: 'cookie' };
  return { ok: false, status: 401, reason: 'missing or wrong token (open the URL printed by cwb serve)' };
}
