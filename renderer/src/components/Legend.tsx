/** What the shapes and colours mean (a static key over the graph's corner). */
import { EDGE_NEGATIVE, EDGE_POSITIVE, NODE_COLORS, featureColor } from '../graph/scales';
import { MARK_COLORS } from '../graph/style';

export function Legend() {
  return (
    <div className="legend" aria-label="Legend" role="group">
      <span className="legend-item"><svg width="22" height="14" aria-hidden="true"><rect x="1" y="2" width="20" height="10" rx="3" fill={NODE_COLORS.token} stroke={NODE_COLORS.tokenBorder} /></svg>token</span>
      <span className="legend-item">
        <svg width="30" height="14" aria-hidden="true">
          <circle cx="5" cy="7" r="4" fill={featureColor(0.1)} stroke="#5b4b8a" />
          <circle cx="20" cy="7" r="6.5" fill={featureColor(1)} stroke="#5b4b8a" />
        </svg>
        feature (size, colour: influence)
      </span>
      <span className="legend-item"><svg width="14" height="14" aria-hidden="true"><path d="M7 1 L13 7 L7 13 L1 7 Z" fill={NODE_COLORS.error} /></svg>error</span>
      <span className="legend-item"><svg width="24" height="14" aria-hidden="true"><path d="M5 1 H19 L23 7 L19 13 H5 L1 7 Z" fill={NODE_COLORS.logit} stroke={NODE_COLORS.logitBorder} /></svg>logit</span>
      <span className="legend-item"><svg width="22" height="8" aria-hidden="true"><line x1="1" y1="4" x2="21" y2="4" stroke={EDGE_POSITIVE} strokeWidth="3" /></svg>excites</span>
      <span className="legend-item"><svg width="22" height="8" aria-hidden="true"><line x1="1" y1="4" x2="21" y2="4" stroke={EDGE_NEGATIVE} strokeWidth="3" /></svg>inhibits</span>
      <span className="legend-item" data-testid="legend-marks">
        <svg width="54" height="16" aria-hidden="true">
          <circle cx="8" cy="8" r="5" fill={featureColor(0.5)} stroke={MARK_COLORS.pinned} strokeWidth="2.5" />
          <circle cx="27" cy="8" r="5" fill={featureColor(0.5)} stroke={MARK_COLORS.supernode} strokeWidth="2.5" strokeDasharray="3 2" />
          <circle cx="46" cy="8" r="7.5" fill={MARK_COLORS.affected} fillOpacity="0.55" />
          <circle cx="46" cy="8" r="4" fill={featureColor(0.5)} stroke="#5b4b8a" />
        </svg>
        pinned · supernode · affected
      </span>
    </div>
  );
}
