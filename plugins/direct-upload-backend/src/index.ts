// Package entry: the backend plugin as default export, so `backend.add(import('...'))` works.
export { directUploadPlugin as default } from './plugin';
export { readDirectUploadConfig, DirectUploadConfigError, type DirectUploadPluginConfig } from './config';
