/** The `?` overlay listing keyboard shortcuts. */
import { useEffect, useRef } from 'react';
import { SHORTCUTS } from '../keyboard/shortcuts';
import { useActions } from '../store/react';

export function HelpOverlay() {
  const a = useActions();
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && a.setHelpOpen(false)}>
      <div className="modal help" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts">
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.keys}>
                <th scope="row"><kbd>{s.keys}</kbd></th>
                <td>{s.does}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">Hover a node to see its neighbours; hover or click a path to highlight it.</p>
        <button type="button" ref={closeRef} onClick={() => a.setHelpOpen(false)}>Close</button>
      </div>
    </div>
  );
}
