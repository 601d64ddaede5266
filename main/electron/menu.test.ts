import { describe, expect, it } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuAction } from '../../shared/api';
import { appMenuDescription, buildMenuTemplate, displayAccelerator, shortcutList, type MenuCommand } from './menu';

function build(platform: NodeJS.Platform, isPackaged: boolean) {
  const actions: MenuAction[] = [];
  const commands: MenuCommand[] = [];
  const desc = appMenuDescription({ platform, isPackaged, appName: 'Circuit Workbench' });
  const template = buildMenuTemplate(desc, { action: (a) => actions.push(a), command: (c) => commands.push(c) });
  return { desc, template, actions, commands };
}

const submenu = (t: MenuItemConstructorOptions[], label: string) => t.find((m) => m.label === label)?.submenu as MenuItemConstructorOptions[];
const item = (items: MenuItemConstructorOptions[], label: string) => items.find((i) => i.label === label);
const click = (i: MenuItemConstructorOptions | undefined) => (i?.click as () => void)();

describe('application menu', () => {
  it('has File, Edit, View and Help on Linux/Windows, with Quit in File', () => {
    const { template } = build('linux', false);
    expect(template.map((m) => m.label)).toEqual(['File', 'Edit', 'View', 'Help']);
    const file = submenu(template, 'File');
    expect(file.filter((i) => i.type !== 'separator').map((i) => i.label)).toEqual(['Open…', 'Save', 'Save As…', 'Export…', 'Export View as SVG…', 'Export View as PNG…', 'Export Evidence Report…', 'Quit']);
    expect(item(file, 'Quit')?.role).toBe('quit');
    expect(template.find((m) => m.label === 'Edit')?.role).toBe('editMenu');
  });

  it('sends each file action and presentation mode (F5) to the renderer', () => {
    const { template, actions } = build('win32', true);
    const file = submenu(template, 'File');
    for (const label of ['Open…', 'Save', 'Save As…', 'Export…', 'Export View as SVG…', 'Export View as PNG…', 'Export Evidence Report…']) click(item(file, label));
    const view = submenu(template, 'View');
    const pres = item(view, 'Presentation Mode');
    expect(pres?.accelerator).toBe('F5');
    click(pres);
    expect(actions).toEqual(['open', 'save', 'save-as', 'export', 'export-svg', 'export-png', 'export-report', 'presentation']);
    expect(item(file, 'Open…')?.accelerator).toBe('CmdOrCtrl+O');
    expect(item(file, 'Save As…')?.accelerator).toBe('CmdOrCtrl+Shift+S');
  });

  it('offers developer tools only when not packaged', () => {
    const dev = submenu(build('linux', false).template, 'View');
    const packaged = submenu(build('linux', true).template, 'View');
    expect(dev.some((i) => i.role === 'toggleDevTools')).toBe(true);
    expect(packaged.some((i) => i.role === 'toggleDevTools')).toBe(false);
    for (const role of ['reload', 'resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']) {
      expect(packaged.some((i) => i.role === role), role).toBe(true);
    }
  });

  it('handles About and Keyboard Shortcuts in the main process', () => {
    const { template, commands, actions } = build('linux', true);
    const help = submenu(template, 'Help');
    click(item(help, 'Keyboard Shortcuts'));
    click(item(help, 'About Circuit Workbench'));
    expect(commands).toEqual(['shortcuts', 'about']);
    expect(actions).toEqual([]);
  });

  it('on macOS puts the app menu first (it owns Quit) and adds the Window menu', () => {
    const { template } = build('darwin', true);
    expect(template.map((m) => m.label)).toEqual(['Circuit Workbench', 'File', 'Edit', 'View', 'Window', 'Help']);
    expect(template[0].role).toBe('appMenu');
    expect(submenu(template, 'File').some((i) => i.role === 'quit')).toBe(false);
  });

  it('lists the shortcuts as the platform writes them', () => {
    const { desc } = build('linux', true);
    const list = shortcutList(desc, 'linux');
    expect(list).toContainEqual({ label: 'Presentation Mode', keys: 'F5' });
    expect(list).toContainEqual({ label: 'Save As…', keys: 'Ctrl+Shift+S' });
    expect(list.some((s) => s.label === 'Toggle Developer Tools')).toBe(false);
    expect(displayAccelerator('CmdOrCtrl+Shift+S', 'darwin')).toBe('⌘⇧S');
    expect(displayAccelerator('Alt+Cmd+I', 'darwin')).toBe('⌥⌘I');
  });
});
