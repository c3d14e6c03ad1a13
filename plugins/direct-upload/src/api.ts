// The plugin's client API: uploads files through the direct-upload backend with the shared express-direct-upload client.
import { createApiRef, type DiscoveryApi, type FetchApi } from '@backstage/frontend-plugin-api';
import { createUploadClient, type UploadOptions, type UploadResult } from 'express-direct-upload/client';

/** Where the backend plugin mounts its routes, under its base URL (`/api/direct-upload`). */
export const UPLOADS_PATH = '/uploads';

/** Uploads one file straight to S3: presign at the backend, PUT (or parts) to S3, then verify at the backend. */
export interface DirectUploadApi {
  upload(file: File, options?: Pick<UploadOptions, 'onProgress' | 'onStart' | 'signal'>): Promise<UploadResult>;
}

export const directUploadApiRef = createApiRef<DirectUploadApi>().with({ id: 'plugin.direct-upload.client', pluginId: 'direct-upload' });

/**
 * The client over Backstage's APIs. `fetchApi.fetch` attaches the signed-in user's Backstage token to the backend
 * calls (and only to those: the PUTs to S3 carry the presigned URL's own signature). The base URL is asked of
 * discovery before every upload, as Backstage requires, so a moved backend is followed.
 */
export function createDirectUploadApi(deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }): DirectUploadApi {
  return {
    async upload(file, options = {}) {
      const baseUrl = await deps.discoveryApi.getBaseUrl('direct-upload');
      const client = createUploadClient({ baseUrl, path: UPLOADS_PATH, fetch: deps.fetchApi.fetch });
      return client.upload(file, options);
    },
  };
}
