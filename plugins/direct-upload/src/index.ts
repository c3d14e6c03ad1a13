// Package entry: the frontend plugin as default export, for the new frontend system's feature discovery and `features: [...]`.
export { directUploadPlugin as default } from './plugin';
export { directUploadApiRef, createDirectUploadApi, type DirectUploadApi } from './api';
export { UploadPage } from './components/UploadPage';
