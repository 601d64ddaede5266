/** Browser mode: a clear banner while the engine cannot be reached, with a countdown and "Retry now". */
import { useEffect, useState } from 'react';
import type { Transport } from '../api/transport';
import { useWb } from '../store/react';

export function ConnectionBanner({ transport }: { readonly transport: Transport }) {
  const c = useWb((s) => s.connection);
  const [now, setNow] = useState(() => Date.now());
  const [cause, setCause] = useState<'down' | 'unauthorized' | 'up' | null>(null);
  const down = transport.kind === 'websocket' && c.state !== 'open' && c.failures > 0;
  useEffect(() => {
    if (!down) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [down]);
  // Re-diagnose on the first failure and every few attempts (the server may come back with a new token).
  const probeAt = down ? Math.floor((c.failures - 1) / 3) : -1;
  useEffect(() => {
    if (probeAt < 0) return setCause(null);
    let live = true;
    void transport.diagnose().then((r) => live && setCause(r));
    return () => {
      live = false;
    };
  }, [probeAt, transport]);
  if (!down) return null;
  const tokenProblem = transport.missingToken || cause === 'unauthorized';
  const secs = c.retryAt !== null ? Math.max(0, Math.ceil((c.retryAt - now) / 1000)) : null;
  return (
    <div className="banner" role="alert">
      <strong>The engine is unreachable.</strong>{' '}
      {tokenProblem
        ? `${transport.missingToken ? 'This page has no access token' : 'The server refused this page’s access token (it changes each time the server starts)'}: open the URL that \`cwb serve\` printed (it ends with ?token=…).`
        : 'Is `cwb serve` (or `npm run web`) still running? Your work on this page is kept.'}{' '}
      <span className="muted">{c.state === 'connecting' ? 'Connecting…' : secs !== null ? `Retrying in ${secs} s (attempt ${c.failures + 1}).` : ''}</span>{' '}
      <button type="button" onClick={() => transport.retryNow()} disabled={c.state === 'connecting'}>Retry now</button>
    </div>
  );
}
