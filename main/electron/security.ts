/**
 * The desktop shell's security policy as plain functions (no Electron import, unit-tested): the Content
 * Security Policy, which URLs the window may navigate to, which links may open in the system browser,
 * which permissions the page gets, and whether an IPC message comes from the app's own top frame.
 */
import { fileURLToPath } from 'node:url';

/**
 * Same policy as the renderer's `<meta http-equiv="Content-Security-Policy">`. The header is applied through
 * `session.webRequest.onHeadersReceived` as defence in depth: for `file://` pages Chromium has not always
 * reported headers to that hook, so the meta tag in renderer/dist/index.html remains the primary enforcement.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

/** Response headers with our CSP, replacing any Content-Security-Policy header already there (any case). */
export function withCsp(headers: Readonly<Record<string, string | string[]>> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() === 'content-security-policy') continue;
    out[k] = Array.isArray(v) ? [...v] : [v];
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The local path of a file: URL, or null (other schemes, a remote host, encoded separators). */
function filePath(url: string): string | null {
  const u = parse(url);
  if (!u || u.protocol !== 'file:') return null;
  try {
    return fileURLToPath(u);
  } catch {
    return null;
  }
}

/**
 * Whether `url` is the app's own page: the same file:// document as `appUrl` (query and hash may differ, so an
 * in-app `#/route` or a reload is fine). Paths are compared decoded, so Chromium's and Node's percent-encoding
 * of the same path agree. Everything else (other files, http, data:, javascript:) is not the app.
 */
export function isAppUrl(url: string, appUrl: string): boolean {
  const a = filePath(url);
  const b = filePath(appUrl);
  return a !== null && b !== null && a === b;
}

const NETWORK_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:']);

/**
 * Whether a request goes to the network. The app is local by design (file:// page, engine over IPC): such
 * requests are cancelled in the session, beside the CSP, so nothing leaves the machine even if a page bug tried.
 */
export function isNetworkUrl(url: string): boolean {
  const u = parse(url);
  return u === null ? false : NETWORK_SCHEMES.has(u.protocol);
}

/** The URL to hand to `shell.openExternal`, or null: only well-formed http(s) URLs ever leave the app. */
export function externalUrl(url: string): string | null {
  const u = parse(url);
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) return null;
  if (u.username || u.password) return null;
  return u.href;
}

/**
 * Permission requests and checks. Everything is refused (camera, microphone, geolocation, notifications,
 * MIDI, HID, serial, USB, file system access, …) except writing plain text to the clipboard ("Copy" buttons)
 * and element fullscreen (presentation mode), and those only for the app's own page.
 */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write', 'fullscreen']);

export function permissionAllowed(permission: string, requestingUrl: string | undefined, appUrl: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && requestingUrl !== undefined && isAppUrl(requestingUrl, appUrl);
}

/** The parts of Electron's WebFrameMain that the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
  readonly frameToken: string;
}

export interface SenderInfo {
  /** `event.sender.id`: the WebContents that sent the message. */
  readonly senderId: number;
  /** `event.senderFrame`: null once the frame navigated away or was destroyed. */
  readonly frame: FrameLike | null | undefined;
}

export interface TrustedWindow {
  readonly webContentsId: number;
  /** `win.webContents.mainFrame.frameToken`. */
  readonly mainFrameToken: string;
  readonly appUrl: string;
}

/**
 * An IPC message is accepted only from the main window's top-level frame showing the app's own file:// page
 * (never from a subframe, another window or a page the window was somehow navigated to).
 */
export function isTrustedSender(sender: SenderInfo, win: TrustedWindow | null): boolean {
  if (!win || sender.senderId !== win.webContentsId) return false;
  const f = sender.frame;
  if (!f || f.parent !== null || f.frameToken !== win.mainFrameToken) return false;
  return isAppUrl(f.url, win.appUrl);
}
