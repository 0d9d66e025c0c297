/**
 * Turns the tray menu template into Electron menu items: the status dots become small coloured
 * images and every clickable item calls back with its id.
 */
import type { MenuItemConstructorOptions } from 'electron';

import type { ElectronSurface, ImageLike, MenuLike } from './electron-surface.js';
import type { DotColor, MenuItemId, MenuItemTemplate } from './tray-menu.js';

/** One image per dot colour. */
export type DotImages = Record<DotColor, ImageLike>;

/** The Electron options of one template item. */
export function toMenuItemOptions(
  item: MenuItemTemplate,
  dots: DotImages | null,
  onClick: (id: MenuItemId) => void,
): MenuItemConstructorOptions {
  if (item.type === 'separator') return { id: item.id, type: 'separator' };
  const options: MenuItemConstructorOptions = {
    id: item.id,
    type: item.type,
    label: item.label ?? '',
    enabled: item.enabled ?? true,
  };
  if (item.type === 'checkbox') options.checked = item.checked ?? false;
  if (item.accelerator) options.accelerator = item.accelerator;
  if (item.dot && dots) options.icon = dots[item.dot] as MenuItemConstructorOptions['icon'];
  if (item.enabled !== false) options.click = () => onClick(item.id);

  return options;
}

/** Builds the Electron menu for a template. */
export function buildElectronMenu(
  menu: ElectronSurface['Menu'],
  template: MenuItemTemplate[],
  dots: DotImages | null,
  onClick: (id: MenuItemId) => void,
): MenuLike {
  return menu.buildFromTemplate(template.map((item) => toMenuItemOptions(item, dots, onClick)));
}
