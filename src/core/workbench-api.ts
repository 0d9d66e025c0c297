/**
 * What the core offers the CLI and the app: one facade over the controller, the agents, the env
 * files, the doctor and the logs. The app's IPC handlers call these methods and nothing else.
 */
import type { Settings } from './settings.js';
import type { WorkbenchStatus } from './status-model.js';

export type EnvFileName = 'runtime' | 'bridge';

export interface DoctorCheck {
  id: string;
  level: 'ok' | 'warn' | 'fail' | 'info';
  message: string;
  fix?: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  failures: number;
  warnings: number;
}

/** One line of an env file as the editor shows it; secret values arrive masked. */
export interface EnvEntryView {
  key: string;
  /** The value, or its masked form for a secret key. */
  value: string;
  secret: boolean;
  line: number;
}

export interface EnvProblemView {
  code: string;
  severity: 'error' | 'warning';
  file: EnvFileName | null;
  line: number | null;
  key: string | null;
  message: string;
}

export interface EnvFileView {
  name: EnvFileName;
  path: string;
  exists: boolean;
  entries: EnvEntryView[];
  problems: EnvProblemView[];
  /** Mode repairs made while reading (e.g. "runtime.env was 0644, now 0600"). */
  repairs: string[];
}

export interface ActionOutcome {
  /** A sentence for the user: "Workbench started through the login agent." */
  message: string;
  status: WorkbenchStatus;
}

export interface WorkbenchApi {
  status(): Promise<WorkbenchStatus>;
  start(options?: { wait?: boolean }): Promise<ActionOutcome>;
  stop(): Promise<ActionOutcome>;
  restart(): Promise<ActionOutcome>;
  setAgentEnabled(enabled: boolean): Promise<ActionOutcome>;
  setKeepAwake(enabled: boolean): Promise<ActionOutcome>;
  readEnvFile(name: EnvFileName): Promise<EnvFileView>;
  /** The real value of one key, for the editor's reveal button. */
  revealEnvValue(name: EnvFileName, key: string): Promise<string>;
  /** Sets the given keys (value `null` deletes) and saves the file with mode 0600. */
  saveEnvFile(name: EnvFileName, changes: Record<string, string | null>): Promise<EnvFileView>;
  runDoctor(): Promise<DoctorReport>;
  readLogs(options: { lines: number; supervisor: boolean }): Promise<string>;
  readSettings(): Settings;
  saveSettings(change: Partial<Settings>): Settings;
}
