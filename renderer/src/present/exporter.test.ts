import { describe, expect, it } from 'vitest';
import { exportName, exportPath } from './exporter';

describe('export file names', () => {
  it('names exports after the explanation file, else the prompt, with the view', () => {
    expect(exportName('/ws/lily.circuit.json', 'x', 'svg', null)).toBe('lily.svg');
    expect(exportName('C:\\ws\\lily.circuit.json', 'x', 'png', 'The “say Lily” supernode')).toBe('lily-the-say-lily-supernode.png');
    expect(exportName(null, 'Once upon a time, there was', 'html', 'View 1')).toBe('once-upon-a-time-there-report.html');
    expect(exportName(null, '   ', 'svg', null)).toBe('circuit.svg');
  });
  it('adds the extension and puts bare names in the workspace', () => {
    expect(exportPath('fig', '/ws', 'svg')).toBe('/ws/fig.svg');
    expect(exportPath('fig.SVG', '/ws', 'svg')).toBe('/ws/fig.SVG');
    expect(exportPath('/elsewhere/fig.png', '/ws', 'png')).toBe('/elsewhere/fig.png');
    expect(exportPath('r', 'C:\\ws', 'html')).toBe('C:\\ws\\r.html');
    expect(exportPath('  ', '/ws', 'png')).toBeNull();
  });
});
