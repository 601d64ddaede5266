/** Browser-mode server: token and Origin checks, and the API answering from the real engine. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../main/server/serve';

let s: Awaited<ReturnType<typeof startServer>>;
let base: string;
beforeAll(async () => {
  s = await startServer({ port: 0 });
  base = `http://127.0.0.1:${s.port}`;
});
afterAll(() => s.server.close());

describe('cwb serve', () => {
  it('binds to 127.0.0.1 only', () => {
    const addr = s.server.address();
    expect(typeof addr === 'object' && addr?.address).toBe('127.0.0.1');
  });

  it('refuses requests without the token or with a wrong one', async () => {
    expect((await fetch(`${base}/api/info`)).status).toBe(401);
    expect((await fetch(`${base}/api/info?token=${'0'.repeat(s.token.length)}`)).status).toBe(401);
    expect((await fetch(`${base}/api/info`, { headers: { 'x-cwb-token': 'nope' } })).status).toBe(401);
  });

  it('refuses foreign origins even with the token', async () => {
    const r = await fetch(`${base}/api/info?token=${s.token}`, { headers: { origin: 'http://evil.example' } });
    expect(r.status).toBe(403);
  });

  it('serves the page and answers predictions from the engine', async () => {
    expect((await fetch(s.url)).status).toBe(200);
    const r = await fetch(`${base}/api/predict?token=${s.token}`, {
      method: 'POST',
      headers: { origin: base, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Once upon a time' }),
    });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { tokens: { id: number }[]; top: { text: string; prob: number }[] };
    expect(j.tokens.map((t) => t.id)).toEqual([1, 403, 407, 261, 378]);
    expect(j.top[0].text).toBe(',');
    expect(j.top[0].prob).toBeGreaterThan(0.3);
  });

  it('answers malformed bodies with 400 and a message', async () => {
    const r = await fetch(`${base}/api/predict?token=${s.token}`, { method: 'POST', body: '[1,2' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/JSON object/);
  });
});
