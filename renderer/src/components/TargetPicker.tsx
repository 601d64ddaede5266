/** Which logit(s) to explain: the salient ones, one token, or a contrast "A − B". */
import { useActions, useWb } from '../store/react';
import { parseTokenRef, visibleToken } from '../text/tokenText';
import type { TargetMode } from '../store/types';

const MODES: readonly { readonly mode: TargetMode; readonly label: string }[] = [
  { mode: 'salient', label: 'Salient logits' },
  { mode: 'token', label: 'Token' },
  { mode: 'contrast', label: 'Contrast' },
];

/** How the engine will read the field: shows leading spaces and "#id" explicitly. */
function Interpretation({ value }: { readonly value: string }) {
  const ref = parseTokenRef(value);
  // Always a span (empty when there is nothing to explain) so the contrast grid keeps its columns.
  return <span className="muted small interp">{ref === null ? '' : typeof ref === 'number' ? `token id ${ref}` : `“${visibleToken(ref)}”`}</span>;
}



export function TargetPicker() {
  const t = useWb((s) => s.target);
  const a = useActions();
  return (
    <fieldset className="target-picker">
      <legend className="sub-title">Target</legend>
      <div className="radio-row">
        {MODES.map((m) => (
          <label key={m.mode} className="radio">
            <input type="radio" name="target-mode" value={m.mode} checked={t.mode === m.mode} onChange={() => a.setTarget({ mode: m.mode })} />
            {m.label}
          </label>
        ))}
      </div>
      {t.mode === 'salient' && <p className="muted small">The most likely next tokens (up to 95% probability).</p>}
      {t.mode === 'token' && (
        <div className="target-inputs">
          <input type="text" aria-label="Target token" placeholder="e.g. “ Lily” or #439" value={t.token} onChange={(e) => a.setTarget({ token: e.target.value })} />
          <Interpretation value={t.token} />
        </div>
      )}
      {t.mode === 'contrast' && (
        <div className="target-inputs contrast">
          <input type="text" aria-label="Contrast A" placeholder="A, e.g. “ Lily”" value={t.contrastA} onChange={(e) => a.setTarget({ contrastA: e.target.value })} />
          <span aria-hidden="true">−</span>
          <input type="text" aria-label="Contrast B" placeholder="B, e.g. “ Tim”" value={t.contrastB} onChange={(e) => a.setTarget({ contrastB: e.target.value })} />
          <Interpretation value={t.contrastA} />
          <span />
          <Interpretation value={t.contrastB} />
          <span className="muted small">Explains logit(A) − logit(B).</span>
        </div>
      )}
    </fieldset>
  );
}
