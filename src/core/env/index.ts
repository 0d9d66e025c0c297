/** The env-file module: one parser, validator and secret-file writer for the app, CLI and supervisor. */
export * from './document.js';
export * from './errors.js';
export * from './keys.js';
export * from './secret-file.js';
export * from './store.js';
export * from './templates.js';
export * from './validate.js';
