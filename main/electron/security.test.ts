import { describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY, externalUrl, isAppUrl, isNetworkUrl, isTrustedSender, permissionAllowed, withCsp, type TrustedWindow } from './security';

const appFile = path.resolve('/opt/Circuit Workbench/resources/app.asar/renderer/dist/index.html');
const appUrl = pathToFileURL(appFile).href;

describe('CSP', () => {
  it('is the strict policy of the renderer meta tag', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'",
    );
  });

  it('replaces any existing CSP header, whatever its case, and keeps the others', () => {
    const h = withCsp({ 'content-security-policy': ["default-src *"], 'Content-Type': 'text/html', 'X-A': ['1', '2'] });
    expect(h).toEqual({ 'Content-Type': ['text/html'], 'X-A': ['1', '2'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    expect(withCsp(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});

describe('isAppUrl', () => {
  it('accepts the app file, with or without query and hash, however it is percent-encoded', () => {
    expect(isAppUrl(appUrl, appUrl)).toBe(true);
    expect(isAppUrl(`${appUrl}#/graph`, appUrl)).toBe(true);
    expect(isAppUrl(`${appUrl}?x=1`, appUrl)).toBe(true);
    expect(isAppUrl(appUrl.replace('Circuit%20Workbench', 'Circuit Workbench'), appUrl)).toBe(true);
    expect(isAppUrl(appUrl.replace('index', '%69ndex'), appUrl)).toBe(true);
  });

  it('rejects other files, other schemes and tricks', () => {
    expect(isAppUrl(pathToFileURL(path.resolve('/etc/passwd')).href, appUrl)).toBe(false);
    expect(isAppUrl(appUrl.replace('index.html', 'other.html'), appUrl)).toBe(false);
    expect(isAppUrl(appUrl.replace('dist/index.html', 'dist%2Findex.html'), appUrl)).toBe(false);
    expect(isAppUrl('https://example.com/renderer/dist/index.html', appUrl)).toBe(false);
    expect(isAppUrl('file://evil.example/opt/Circuit%20Workbench/resources/app.asar/renderer/dist/index.html', appUrl)).toBe(false);
    expect(isAppUrl('javascript:alert(1)', appUrl)).toBe(false);
    expect(isAppUrl('data:text/html,hi', appUrl)).toBe(false);
    expect(isAppUrl('about:blank', appUrl)).toBe(false);
    expect(isAppUrl('not a url', appUrl)).toBe(false);
    expect(isAppUrl(appUrl, 'https://example.com/')).toBe(false);
  });
});

describe('externalUrl', () => {
  it('lets only well-formed http(s) URLs out', () => {
    expect(externalUrl('https://www.neuronpedia.org/gemma-2-2b/graph')).toBe('https://www.neuronpedia.org/gemma-2-2b/graph');
    expect(externalUrl('http://example.com')).toBe('http://example.com/');
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-msdt:/id', 'mailto:a@b.c', 'https://user:pw@example.com/', 'https://', '//example.com', 'example.com']) {
      expect(externalUrl(bad), bad).toBeNull();
    }
  });
});

describe('isNetworkUrl', () => {
  it('flags http(s), websockets and ftp, not local schemes', () => {
    for (const u of ['https://example.com/x.js', 'http://127.0.0.1:8080/', 'ws://localhost/', 'wss://x.y/', 'ftp://x/']) expect(isNetworkUrl(u), u).toBe(true);
    for (const u of [appUrl, 'data:image/png;base64,AA', 'blob:file:///abc', 'devtools://devtools/bundled/x.html', 'about:blank', 'garbage']) expect(isNetworkUrl(u), u).toBe(false);
  });
});

describe('permissionAllowed', () => {
  it('denies everything except clipboard writes and fullscreen from the app page', () => {
    expect(permissionAllowed('clipboard-sanitized-write', appUrl, appUrl)).toBe(true);
    expect(permissionAllowed('fullscreen', `${appUrl}#x`, appUrl)).toBe(true);
    expect(permissionAllowed('fullscreen', 'https://example.com/', appUrl)).toBe(false);
    expect(permissionAllowed('fullscreen', undefined, appUrl)).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fileSystem', 'hid', 'serial', 'usb', 'unknown']) {
      expect(permissionAllowed(p, appUrl, appUrl), p).toBe(false);
    }
  });
});

describe('isTrustedSender', () => {
  const win: TrustedWindow = { webContentsId: 7, mainFrameToken: 'top', appUrl };
  const top = { url: appUrl, parent: null, frameToken: 'top' };

  it('accepts the main window top frame on the app file', () => {
    expect(isTrustedSender({ senderId: 7, frame: top }, win)).toBe(true);
    expect(isTrustedSender({ senderId: 7, frame: { ...top, url: `${appUrl}#/x` } }, win)).toBe(true);
  });

  it('rejects other windows, subframes, gone frames and foreign pages', () => {
    expect(isTrustedSender({ senderId: 8, frame: top }, win)).toBe(false);
    expect(isTrustedSender({ senderId: 7, frame: null }, win)).toBe(false);
    expect(isTrustedSender({ senderId: 7, frame: undefined }, win)).toBe(false);
    expect(isTrustedSender({ senderId: 7, frame: { ...top, parent: {} } }, win)).toBe(false);
    expect(isTrustedSender({ senderId: 7, frame: { ...top, frameToken: 'child' } }, win)).toBe(false);
    expect(isTrustedSender({ senderId: 7, frame: { ...top, url: 'https://evil.example/' } }, win)).toBe(false);
    expect(isTrustedSender({ senderId: 7, frame: top }, null)).toBe(false);
  });
});
