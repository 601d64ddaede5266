/**
 * The application menu as a plain description (labels, accelerators, what each item does) and its translation
 * into Electron's `MenuItemConstructorOptions`. No Electron import at runtime (types only): unit-tested.
 * Items with an `action` send that MenuAction to the renderer on 'cwb:menu'; `command` items are handled in
 * the main process (About, Keyboard shortcuts); `role` items are Electron's built-ins.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuAction } from '../../shared/api';

export type MenuCommand = 'about' | 'shortcuts';
type Role = NonNullable<MenuItemConstructorOptions['role']>;

export type MenuEntry =
  | { readonly kind: 'action'; readonly label: string; readonly action: MenuAction; readonly accelerator?: string }
  | { readonly kind: 'command'; readonly label: string; readonly command: MenuCommand; readonly accelerator?: string }
  | { readonly kind: 'role'; readonly role: Role; readonly label?: string; readonly accelerator?: string }
  | { readonly kind: 'separator' };

export interface MenuSection {
  readonly label: string;
  /** A whole built-in submenu (macOS app menu, Edit, Window). */
  readonly role?: Role;
  readonly items: readonly MenuEntry[];
}

export interface MenuContext {
  readonly platform: NodeJS.Platform;
  /** Developer tools exist only in unpackaged (development) runs. */
  readonly isPackaged: boolean;
  readonly appName: string;
}

export function appMenuDescription(ctx: MenuContext): MenuSection[] {
  const mac = ctx.platform === 'darwin';
  const sections: MenuSection[] = [];
  // macOS: the application menu (About, Services, Hide, Quit …) comes first and owns Quit.
  if (mac) sections.push({ label: ctx.appName, role: 'appMenu', items: [] });
  sections.push({
    label: 'File',
    items: [
      { kind: 'action', label: 'Open…', action: 'open', accelerator: 'CmdOrCtrl+O' },
      { kind: 'action', label: 'Save', action: 'save', accelerator: 'CmdOrCtrl+S' },
      { kind: 'action', label: 'Save As…', action: 'save-as', accelerator: 'CmdOrCtrl+Shift+S' },
      { kind: 'separator' },
      { kind: 'action', label: 'Export…', action: 'export', accelerator: 'CmdOrCtrl+E' },
      { kind: 'action', label: 'Export View as SVG…', action: 'export-svg' },
      { kind: 'action', label: 'Export View as PNG…', action: 'export-png' },
      { kind: 'action', label: 'Export Evidence Report…', action: 'export-report' },
      ...(mac ? [] : ([{ kind: 'separator' }, { kind: 'role', role: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q' }] as const)),
    ],
  });
  // Text fields need the Edit roles for copy/paste shortcuts on macOS; harmless elsewhere.
  sections.push({ label: 'Edit', role: 'editMenu', items: [] });
  sections.push({
    label: 'View',
    items: [
      { kind: 'action', label: 'Presentation Mode', action: 'presentation', accelerator: 'F5' },
      { kind: 'separator' },
      // Roles' usual accelerators, spelled out so Help → Keyboard Shortcuts can list them.
      { kind: 'role', role: 'reload', label: 'Reload', accelerator: 'CmdOrCtrl+R' },
      { kind: 'separator' },
      { kind: 'role', role: 'resetZoom', label: 'Actual Size', accelerator: 'CmdOrCtrl+0' },
      { kind: 'role', role: 'zoomIn', label: 'Zoom In', accelerator: 'CmdOrCtrl+Plus' },
      { kind: 'role', role: 'zoomOut', label: 'Zoom Out', accelerator: 'CmdOrCtrl+-' },
      { kind: 'separator' },
      { kind: 'role', role: 'togglefullscreen', label: 'Toggle Full Screen', accelerator: mac ? 'Ctrl+Cmd+F' : 'F11' },
      ...(ctx.isPackaged
        ? []
        : ([{ kind: 'role', role: 'toggleDevTools', label: 'Toggle Developer Tools', accelerator: mac ? 'Alt+Cmd+I' : 'Ctrl+Shift+I' }] as const)),
    ],
  });
  if (mac) sections.push({ label: 'Window', role: 'windowMenu', items: [] });
  sections.push({
    label: 'Help',
    items: [
      { kind: 'command', label: 'Keyboard Shortcuts', command: 'shortcuts' },
      { kind: 'separator' },
      { kind: 'command', label: `About ${ctx.appName}`, command: 'about' },
    ],
  });
  return sections;
}

export interface MenuHandlers {
  readonly action: (action: MenuAction) => void;
  readonly command: (command: MenuCommand) => void;
}

function entryTemplate(e: MenuEntry, h: MenuHandlers): MenuItemConstructorOptions {
  const acc = 'accelerator' in e && e.accelerator ? { accelerator: e.accelerator } : {};
  switch (e.kind) {
    case 'separator':
      return { type: 'separator' };
    case 'action':
      return { label: e.label, ...acc, click: () => h.action(e.action) };
    case 'command':
      return { label: e.label, ...acc, click: () => h.command(e.command) };
    case 'role':
      return { role: e.role, ...(e.label ? { label: e.label } : {}), ...acc };
  }
}

export function buildMenuTemplate(sections: readonly MenuSection[], h: MenuHandlers): MenuItemConstructorOptions[] {
  return sections.map((s) =>
    s.role ? { label: s.label, role: s.role } : { label: s.label, submenu: s.items.map((e) => entryTemplate(e, h)) },
  );
}

/** How an accelerator reads on this platform: "CmdOrCtrl+Shift+S" → "Ctrl+Shift+S" or "⌘⇧S". */
export function displayAccelerator(accelerator: string, platform: NodeJS.Platform): string {
  const parts = accelerator.split('+');
  if (platform !== 'darwin') return parts.map((p) => (p === 'CmdOrCtrl' || p === 'CommandOrControl' ? 'Ctrl' : p)).join('+');
  const mac: Record<string, string> = { CmdOrCtrl: '⌘', CommandOrControl: '⌘', Cmd: '⌘', Command: '⌘', Shift: '⇧', Alt: '⌥', Option: '⌥', Ctrl: '⌃', Control: '⌃' };
  return parts.map((p) => mac[p] ?? p).join('');
}

/** The menu's keyboard shortcuts (for Help → Keyboard Shortcuts), in menu order. */
export function shortcutList(sections: readonly MenuSection[], platform: NodeJS.Platform): { readonly label: string; readonly keys: string }[] {
  const out: { label: string; keys: string }[] = [];
  for (const s of sections) {
    for (const e of s.items) {
      if (e.kind === 'separator' || !e.accelerator) continue;
      out.push({ label: e.kind === 'role' ? (e.label ?? e.role) : e.label, keys: displayAccelerator(e.accelerator, platform) });
    }
  }
  return out;
}
