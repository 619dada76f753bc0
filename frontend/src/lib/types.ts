// Shapes of what the Go backend returns. Kept by hand next to the wrapper so
// components depend on these, not on generated code.

export type Source = 'default' | 'file' | 'env';

export interface SettingField {
  key: string;
  type: 'bool' | 'int' | 'string';
  value: boolean | number | string;
  default: boolean | number | string;
  source: Source;
  env: string;
  min?: number;
  max?: number;
  choices?: string[];
  help: string;
}

export interface Paths {
  ConfigFile: string;
  DataDir: string;
  DBFile: string;
  LogDir: string;
  LogFile: string;
}

export type WindowMode = 'mini' | 'panel';

export interface AppState {
  version: string;
  mode: WindowMode;
  demo: boolean;
  paths: Paths;
  settings: SettingField[];
  accounts: unknown[];
}
