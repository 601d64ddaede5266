/** Errors stay until dismissed (input is never lost, the message neither); info toasts fade after 5 s. */
import { useEffect } from 'react';
import { useActions, useWb } from '../store/react';
import type { Toast } from '../store/types';

function ToastItem({ t }: { readonly t: Toast }) {
  const a = useActions();
  useEffect(() => {
    if (t.kind !== 'info') return;
    const timer = setTimeout(() => a.dismissToast(t.id), 5000);
    return () => clearTimeout(timer);
  }, [t, a]);
  return (
    <div className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
      <span className="toast-msg">{t.message}</span>
      <button type="button" className="icon" aria-label="Dismiss" onClick={() => a.dismissToast(t.id)}>×</button>
    </div>
  );
}

export function Toasts() {
  const toasts = useWb((s) => s.toasts);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => <ToastItem key={t.id} t={t} />)}
    </div>
  );
}
