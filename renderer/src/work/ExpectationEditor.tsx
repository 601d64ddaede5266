/** Edits a causal test's expectation (shared/explanation.ts expectationSchema): kind, token(s) and bounds. */
import type { Expectation } from '../../../shared/explanation';
import { defaultExpectation, type ExpectationKind } from '../store/work/build';

export interface TokenChoice {
  readonly id: number;
  readonly label: string;
}

const KINDS: readonly { readonly kind: ExpectationKind; readonly label: string }[] = [
  { kind: 'probDrop', label: 'probability drops by ≥' },
  { kind: 'probAtLeast', label: 'probability at least' },
  { kind: 'probAtMost', label: 'probability at most' },
  { kind: 'logitChange', label: 'logit change' },
  { kind: 'contrastSign', label: 'contrast sign' },
];

const num = (s: string): number | undefined => (s.trim() === '' || !Number.isFinite(Number(s)) ? undefined : Number(s));
const clamp01 = (x: number | undefined) => Math.min(1, Math.max(0, x ?? 0));

function TokenSelect(props: { readonly label: string; readonly value: number; readonly tokens: readonly TokenChoice[]; readonly onChange: (id: number) => void }) {
  const known = props.tokens.some((t) => t.id === props.value);
  return (
    <select aria-label={props.label} value={props.value} onChange={(e) => props.onChange(Number(e.target.value))}>
      {!known && <option value={props.value}>#{props.value}</option>}
      {props.tokens.map((t) => (
        <option key={t.id} value={t.id}>{t.label}</option>
      ))}
    </select>
  );
}

export function ExpectationEditor(props: { readonly value: Expectation; readonly tokens: readonly TokenChoice[]; readonly onChange: (e: Expectation) => void }) {
  const e = props.value;
  const token = e.kind === 'contrastSign' ? e.a : e.token;
  const other = e.kind === 'contrastSign' ? e.b : (props.tokens.find((t) => t.id !== token)?.id ?? token);
  const set = props.onChange;
  return (
    <div className="expectation-editor">
      <select aria-label="Expectation" value={e.kind} onChange={(ev) => set(defaultExpectation(ev.target.value as ExpectationKind, token, other, 'ablate'))}>
        {KINDS.map((k) => (
          <option key={k.kind} value={k.kind}>{k.label}</option>
        ))}
      </select>
      {e.kind === 'contrastSign' ? (
        <>
          <TokenSelect label="Token A" value={e.a} tokens={props.tokens} onChange={(a) => set({ ...e, a })} />
          <span>−</span>
          <TokenSelect label="Token B" value={e.b} tokens={props.tokens} onChange={(b) => set({ ...e, b })} />
          <select aria-label="Sign" value={e.sign} onChange={(ev) => set({ ...e, sign: ev.target.value as 'flips' | 'positive' | 'negative' })}>
            <option value="flips">flips</option>
            <option value="positive">positive</option>
            <option value="negative">negative</option>
          </select>
        </>
      ) : (
        <TokenSelect label="Token" value={e.token} tokens={props.tokens} onChange={(t) => set({ ...e, token: t })} />
      )}
      {e.kind === 'probDrop' && (
        <input type="number" aria-label="Drop at least (%)" min={0} max={100} step="any" value={Math.round(e.atLeastFraction * 1000) / 10} onChange={(ev) => set({ ...e, atLeastFraction: clamp01((num(ev.target.value) ?? 0) / 100) })} />
      )}
      {(e.kind === 'probAtLeast' || e.kind === 'probAtMost') && (
        <input type="number" aria-label="Probability (%)" min={0} max={100} step="any" value={Math.round(e.value * 1000) / 10} onChange={(ev) => set({ ...e, value: clamp01((num(ev.target.value) ?? 0) / 100) })} />
      )}
      {e.kind === 'logitChange' && (
        <>
          <input type="number" aria-label="Logit change at least" placeholder="≥" value={e.atLeast ?? ''} onChange={(ev) => { const { atLeast: _, ...rest } = e; const v = num(ev.target.value); set(v === undefined ? rest : { ...rest, atLeast: v }); }} />
          <input type="number" aria-label="Logit change at most" placeholder="≤" value={e.atMost ?? ''} onChange={(ev) => { const { atMost: _, ...rest } = e; const v = num(ev.target.value); set(v === undefined ? rest : { ...rest, atMost: v }); }} />
        </>
      )}
      {(e.kind === 'probDrop' || e.kind === 'probAtLeast' || e.kind === 'probAtMost') && <span className="muted small">%</span>}
    </div>
  );
}
