/** A feature's card: where it fires (top contexts, shaded by activation), what it promotes, how often. */
import type { FeatureCard, FeatureContext, LogitEffect } from '../../../shared/featureCard';
import { formatPercent, formatValue } from '../text/format';
import { visibleToken } from '../text/tokenText';
import { Histogram } from './Histogram';

const TOP_CONTEXTS = 8;

export function ContextLine({ ctx, max }: { readonly ctx: FeatureContext; readonly max: number }) {
  return (
    <p className="context" title={`activation ${formatValue(ctx.activation)} · sequence ${ctx.sequence}, position ${ctx.position}`}>
      {ctx.tokens.map((t, i) => {
        const a = max > 0 ? Math.min(1, Math.max(0, t.act / max)) : 0;
        return (
          <span
            key={i}
            className={`ctx-tok${i === ctx.maxIndex ? ' ctx-max' : ''}`}
            style={a > 0 ? { backgroundColor: `rgba(124, 58, 237, ${(0.12 + 0.7 * a).toFixed(3)})`, color: a > 0.6 ? '#fff' : undefined } : undefined}
            title={t.act > 0 ? `${visibleToken(t.text)}: ${formatValue(t.act)}` : undefined}
          >
            {t.text.replace(/\n/g, '⏎')}
          </span>
        );
      })}
      <span className="ctx-act muted small"> {formatValue(ctx.activation)}</span>
    </p>
  );
}

function Effects({ title, effects, kind }: { readonly title: string; readonly effects: readonly LogitEffect[]; readonly kind: 'pos' | 'neg' }) {
  return (
    <div className="effects">
      <h4 className="mini-title">{title}</h4>
      <ul aria-label={title}>
        {effects.slice(0, 8).map((e) => (
          <li key={e.token} className={`effect ${kind}`}>
            <code>{visibleToken(e.text)}</code> <span className="small">{formatValue(e.value)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function FeatureCardView({ card }: { readonly card: FeatureCard }) {
  return (
    <section className="feature-card" aria-label="Feature card">
      <h3 className="sub-title">Feature card</h3>
      <dl className="facts">
        <div><dt>Frequency</dt><dd>{formatPercent(card.frequency)} <span className="muted small">({card.count.toLocaleString()} tokens)</span></dd></div>
        <div><dt>Max act.</dt><dd>{formatValue(card.maxActivation)}</dd></div>
        <div><dt>Mean act.</dt><dd>{formatValue(card.meanActivation)}</dd></div>
      </dl>
      <Histogram histogram={card.histogram} />
      <h4 className="mini-title">Top activating contexts</h4>
      {card.topContexts.length === 0 ? (
        <p className="muted small">No activations in the indexed corpus.</p>
      ) : (
        <div className="contexts">
          {card.topContexts.slice(0, TOP_CONTEXTS).map((c, i) => <ContextLine key={i} ctx={c} max={card.maxActivation} />)}
        </div>
      )}
      {card.quantileContexts.length > 0 && (
        <details className="quantiles">
          <summary>Contexts by activation band</summary>
          {card.quantileContexts.map((q) => (
            <div key={q.band}>
              <h5 className="mini-title">{q.band}</h5>
              {q.contexts.slice(0, 4).map((c, i) => <ContextLine key={i} ctx={c} max={card.maxActivation} />)}
            </div>
          ))}
        </details>
      )}
      <div className="effects-row">
        <Effects title="Promotes" effects={card.logitEffects.top} kind="pos" />
        <Effects title="Suppresses" effects={card.logitEffects.bottom} kind="neg" />
      </div>
    </section>
  );
}
