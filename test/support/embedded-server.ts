// Starts the example-server's embedded default the way `npm start` does, on free ports and a throwaway DATA_DIR, for one test file.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../example-server/config';
import { startServer, type RunningServer } from '../../example-server/server';

export interface EmbeddedServer extends RunningServer {
  /** The DATA_DIR it keeps its local S3 objects and dev issuer key in; removed by stop(). */
  dataDir: string;
}

/**
 * The embedded default with every port free (PORT, LOCAL_S3_PORT, DEV_ISSUER_PORT are 0) and a fresh DATA_DIR.
 * `env` adds or overrides settings, as environment variables would (MAX_FILE_SIZE, LOCAL_S3...).
 * stop() stops the server and its services, then removes DATA_DIR.
 */
export async function startEmbeddedServer(env: NodeJS.ProcessEnv = {}): Promise<EmbeddedServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'edu-embedded-'));
  const removeData = () => rm(dataDir, { recursive: true, force: true });
  let running: RunningServer;
  try {
    running = await startServer(loadSettings({ PORT: '0', LOCAL_S3_PORT: '0', DEV_ISSUER_PORT: '0', DATA_DIR: dataDir, ...env }));
  } catch (err) {
    await removeData();
    throw err;
  }
  return { ...running, dataDir, stop: () => running.stop().then(removeData) };
}
