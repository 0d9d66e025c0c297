/**
 * The external commands the core runs, by name. Kept apart from platform.ts, which needs the
 * file system, so the settings window can list them too.
 */
export const COMMAND_NAMES = [
  'container',
  'launchctl',
  'caffeinate',
  'pmset',
  'plutil',
  'sw_vers',
  'sysctl',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];
