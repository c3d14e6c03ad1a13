// The Uppy example page: Dashboard + @uppy/aws-s3 signRequest against POST /uploads/uppy/sign, then POST /uploads/complete through the upload client.
import { AwsS3, Dashboard, Uppy } from '/vendor/uppy/uppy.js';
import { createUploadClient } from '/client/index.js';

const $ = (selector) => document.querySelector(selector);
const MiB = 1024 * 1024;
const settings = await (await fetch('/config.json')).json();

let token;
const getToken = () => token;
const client = createUploadClient({ path: settings.uploadsPath, getToken });

/** A problem+json answer as an Error Uppy shows: the server's own words, and its status for the record. */
async function signRequest(request) {
  // signRequest gets no file: new objects name it by the key Uppy proposes (its id, below), later requests by our key.
  const file = uppy.getFile(request.key) ?? uppy.getFiles().find((f) => f.s3Multipart?.key === request.key);
  const response = await fetch(`${settings.uploadsPath}/uppy/sign`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await getToken()}`, 'Content-Type': 'application/json' },
    // Uppy's CreateMultipartUpload request carries no type: it sends the file's type (or octet-stream) as Content-Type.
    body: JSON.stringify({ contentType: file && (file.type || 'application/octet-stream'), ...request, filename: file?.name, size: file?.size }),
  });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.detail || body.title), { status: response.status });
  return body;
}

const { multipart } = settings;
const uppy = new Uppy({ autoProceed: true })
  .use(Dashboard, { target: '#uppy', inline: true, height: 360, proudlyDisplayPoweredByUppy: false })
  .use(AwsS3, {
    signRequest,
    generateObjectKey: (file) => file.id,
    shouldUseMultipart: (file) => Boolean(multipart) && file.size > multipart.threshold,
    // The server's part plan: its partSize, grown to whole MiB when a file would need more than 10,000 parts.
    getChunkSize: ({ size }) => Math.max(multipart.partSize, Math.ceil(Math.ceil(size / 10_000) / MiB) * MiB),
  });

function record(file, state, fields) {
  const item = document.createElement('li');
  item.dataset.name = file.name;
  item.dataset.state = state;
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) item.dataset[name] = String(value);
  item.textContent = `${file.name}: ${state === 'done' ? `verified, ${fields.size} bytes at ${fields.key}` : fields.message}`;
  $('#results').append(item);
}

// Uppy completed the upload in S3 itself (multipart included): the server now checks the object and runs onUploaded.
uppy.on('upload-success', async (file, response) => {
  try {
    const verified = await client.complete({ key: response.body.key, size: file.size, contentType: file.type });
    record(file, 'done', { key: verified.key, size: verified.size, multipart: file.size > (multipart?.threshold ?? Infinity) });
  } catch (err) {
    record(file, 'error', { message: err.message, status: err.status });
  }
});
uppy.on('upload-error', (file, err) => record(file, 'error', { message: err.message, status: err.status }));

if (settings.signIn === 'dev') {
  $('#dev-login').hidden = false;
  $('#dev-login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = $('#dev-user').value;
    const response = await fetch('/dev-login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
    if (!response.ok) return void ($('#status').textContent = 'Sign-in failed.');
    token = (await response.json()).access_token;
    $('#account-name').textContent = name;
    $('#account').hidden = false;
    $('#dev-login').hidden = true;
    $('#uploader').hidden = false;
  });
} else {
  $('#status').textContent = 'This example page signs in with the development issuer only; see docs/uppy.md for Auth0.';
}
document.body.dataset.ready = 'true';
