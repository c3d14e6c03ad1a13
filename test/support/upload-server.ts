// A stand-alone server process with directUpload() mounted, for tests that kill it mid-upload and start another.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { directUpload, type DirectUploadOptions } from '../../middleware';

const options = JSON.parse(process.env.UPLOAD_SERVER_OPTIONS ?? '{}') as DirectUploadOptions;
const app = express();
app.use(directUpload(options));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
