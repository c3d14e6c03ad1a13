// Starts Backstage's test backend with the direct-upload plugin, given app-config, for the plugin's tests.
import type { LoggerService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend, type ServiceMock } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import request from 'supertest';

/** Where the plugin's upload routes live in a Backstage backend. */
export const UPLOADS = '/api/direct-upload/uploads';

/** Authorization headers that the test backend's httpAuth understands. */
export const as = {
  user: (entityRef: string) => ({ Authorization: mockCredentials.user.header(entityRef) }),
  service: () => ({ Authorization: mockCredentials.service.header() }),
  nobody: () => ({}),
};

export interface UploadBackend {
  /** supertest bound to the backend's HTTP server. */
  http: () => ReturnType<typeof request>;
  /** The backend's own address, for a client in another process (the frontend plugin's tests): `http://127.0.0.1:<port>`. */
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * A real Backstage backend (startTestBackend) with the plugin loaded the way an app loads it,
 * `backend.add(import(...))`. httpAuth treats a request without a token as unauthenticated, as production does;
 * the default test httpAuth would sign it in as `user:default/mock`.
 */
export async function startUploadBackend(directUpload: JsonObject | Record<string, unknown>, options: { logger?: ServiceMock<LoggerService> } = {}): Promise<UploadBackend> {
  const backend = await startTestBackend({
    features: [
      import('../index'),
      mockServices.rootConfig.factory({ data: { directUpload } as JsonObject }),
      mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() }),
      ...(options.logger ? [options.logger.factory] : []),
    ],
  });
  return { http: () => request(backend.server), baseUrl: `http://127.0.0.1:${backend.server.port()}`, stop: () => backend.stop() };
}

/** A logger whose calls the test can read; `child` returns the same logger so nothing is lost. */
export function recordingLogger(): ServiceMock<LoggerService> {
  const logger: ServiceMock<LoggerService> = mockServices.logger.mock({ child: () => logger });
  return logger;
}
