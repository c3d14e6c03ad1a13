// The upload page in a Backstage test app (renderTestApp, jsdom), uploading through the real backend plugin to s3rver.
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, within } from '@testing-library/react';
import directUploadPlugin from './index';
import { startBackendProcess, type UploadBackendProcess } from './__testUtils__/backend';

const ALICE = 'user:default/alice';
/** Long enough for a presign, a CORS preflight, the PUT and the check on a busy machine; the page itself sets no limit. */
const UPLOAD_WAIT = { timeout: 20_000 };

let backend: UploadBackendProcess;

beforeAll(async () => {
  backend = await startBackendProcess({
    bucket: 'backstage-page',
    // The bucket's CORS admits the page's origin (jsdom's http://localhost), as a deployed bucket admits the app's.
    allowedOrigins: [window.location.origin],
    config: { allowedContentTypes: ['image/*', 'text/plain'], maxFileSize: 1024 * 1024 },
  });
});

afterAll(async () => {
  await backend?.stop();
});

/**
 * The plugin in a Backstage app at /direct-upload. discoveryApi points at the backend; fetchApi is the test kit's,
 * which attaches the user's Backstage token the way the app's does (none: signed out).
 */
async function openUploadPage(token?: string): Promise<HTMLElement> {
  renderTestApp({
    features: [directUploadPlugin],
    initialRouteEntries: ['/direct-upload'],
    apis: [mockApis.discovery({ baseUrl: backend.baseUrl }), mockApis.fetch(token ? { injectIdentityAuth: { token } } : {})],
  });
  return screen.findByLabelText('Choose files');
}

function pick(input: HTMLElement, file: File): void {
  fireEvent.change(input, { target: { files: [file] } });
}

it('uploads a picked file to S3 through the backend plugin and shows its key', async () => {
  const picker = await openUploadPage(await backend.userToken(ALICE));
  const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256);
  pick(picker, new File([bytes], 'diagram.png', { type: 'image/png' }));

  const row = await screen.findByRole('listitem', { name: 'diagram.png' });
  const status = await within(row).findByRole('status', {}, UPLOAD_WAIT);
  expect(status.textContent).toMatch(/^Uploaded as .+ \(2\.9 KiB, image\/png\)$/);
  const key = within(status).getByText(/\.png$/).textContent!;

  const stored = await backend.object(key);
  expect(stored.contentType).toBe('image/png');
  expect(stored.bytes.equals(Buffer.from(bytes))).toBe(true);
});

it('shows the server refusing a type it does not allow (415), and stores nothing', async () => {
  const picker = await openUploadPage(await backend.userToken(ALICE));
  pick(picker, new File(['<script>alert(1)</script>'], 'page.html', { type: 'text/html' }));

  const row = await screen.findByRole('listitem', { name: 'page.html' });
  const alert = await within(row).findByRole('alert', {}, UPLOAD_WAIT);
  expect(alert.textContent).toMatch(/text\/html.*\(415 unsupported_content_type\)$/);
  expect(within(row).queryByRole('status')).toBeNull();
});

it('tells a signed-out user to sign in again when the backend answers 401', async () => {
  const picker = await openUploadPage();
  pick(picker, new File(['hello'], 'note.txt', { type: 'text/plain' }));

  const row = await screen.findByRole('listitem', { name: 'note.txt' });
  const alert = await within(row).findByRole('alert', {}, UPLOAD_WAIT);
  expect(alert.textContent).toBe('Your Backstage sign-in was not accepted by the upload service. Sign in again, then retry.');
});
