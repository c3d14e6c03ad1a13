// The page's UI: sign-in (Auth0 or the embedded development login), file picking and dropping, one list item per upload.
// The uploads themselves go through express-direct-upload/client, which example-server serves at /client/.
import { createUploadClient, indexedDbResumeStore, UploadCancelledError, UploadNetworkError, UploadProblemError, UploadStorageError } from '/client/index.js';

const $ = (selector, root = document) => root.querySelector(selector);
const statusLine = $('#status');

/** Announces a message in the aria-live region (and shows it). */
function announce(message, { problem = false } = {}) {
  statusLine.textContent = message;
  statusLine.classList.toggle('problem', problem);
}

/**
 * Sizes in binary units with their proper labels (KiB, MiB), everywhere on the page: the server's limits are whole
 * MiB, so "Up to 10 MiB" is exactly the limit. Whole values show no decimals, small ones one.
 */
function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || Number.isInteger(value) || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** A server detail in human units: "11534336 bytes" reads as "11 MiB"; the exact counts stay in the API's answer. */
const humanUnits = (text) => text.replace(/\b(\d{4,}) bytes\b/g, (_, n) => formatBytes(Number(n)));

// ---- Sign-in: each kind offers signIn(), signOut(), getToken() and user(). ----

/** The embedded mode's login: the server swaps a user name for a token from its in-process dev issuer. */
function devSignIn() {
  const storageKey = 'express-direct-upload:dev-session';
  const read = () => {
    try {
      const session = JSON.parse(sessionStorage.getItem(storageKey) || 'null');
      return session && session.expiresAt > Date.now() ? session : null;
    } catch {
      return null;
    }
  };
  return {
    async restore() {
      return read()?.user ?? null;
    },
    async signIn(name) {
      const response = await fetch('/dev-login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new Error(body?.detail || `Sign-in failed (${response.status}).`);
      sessionStorage.setItem(storageKey, JSON.stringify({ user: body.user, token: body.access_token, expiresAt: Date.now() + (body.expires_in - 60) * 1000 }));
      return body.user;
    },
    async signOut() {
      sessionStorage.removeItem(storageKey);
    },
    /** No session (signed out, or expired): no token, and the server's 401 says so. */
    async getToken() {
      return read()?.token;
    },
  };
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`Could not load ${src}`));
    document.head.append(script);
  });
}

/** Auth0 Universal Login through the SPA SDK, served by this server from node_modules. */
async function auth0SignIn(settings) {
  await loadScript('/vendor/auth0-spa-js/auth0-spa-js.production.js');
  const client = await window.auth0.createAuth0Client({
    domain: settings.domain,
    clientId: settings.clientId,
    authorizationParams: { audience: settings.audience, redirect_uri: `${location.origin}/` },
  });
  return {
    async restore() {
      const params = new URLSearchParams(location.search);
      if (params.has('code') && params.has('state')) {
        await client.handleRedirectCallback();
        history.replaceState(null, '', location.pathname);
      } else if (params.has('error')) {
        announce(`Sign-in failed: ${params.get('error_description') || params.get('error')}`, { problem: true });
        history.replaceState(null, '', location.pathname);
      }
      if (!(await client.isAuthenticated())) return null;
      const user = await client.getUser();
      return user?.name || user?.email || user?.sub || 'you';
    },
    async signIn() {
      await client.loginWithRedirect();
      return null;
    },
    async signOut() {
      await client.logout({ logoutParams: { returnTo: `${location.origin}/` } });
    },
    // Signed out or the session ended at the tenant: send no token, and let the server's 401 say so.
    getToken: () => client.getTokenSilently().catch(() => undefined),
  };
}

// ---- Uploads: one list item per file, each driven by the upload client. ----

const list = $('#uploads');
const template = $('#upload-item');
let auth;
let settings;
let client;

function setState(item, state, message, detail) {
  item.dataset.state = state;
  const line = $('.message', item);
  line.textContent = message;
  // The server's own words (with exact byte counts) stay one hover away.
  if (detail) line.title = detail;
  else line.removeAttribute('title');
  const busy = state === 'uploading' || state === 'preparing' || state === 'finishing';
  $('.cancel', item).hidden = !busy;
  summarize();
}

function setProgress(item, loaded, total) {
  const percent = total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
  const bar = $('progress', item);
  bar.value = percent;
  bar.setAttribute('aria-valuetext', `${percent}% of ${formatBytes(total)}`);
  $('.percent', item).textContent = `${percent}%`;
}

// ---- The status banner: a summary of the current batch, not just its last event. ----

/** Items of the batch in progress; a pick while nothing is running starts a new batch. */
const batch = new Set();
const SETTLED = new Set(['done', 'error', 'cancelled']);

function joinBatch(item) {
  if ([...batch].every((member) => SETTLED.has(member.dataset.state))) batch.clear();
  batch.add(item);
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 uploaded, 2 failed (a.txt, b.png)." once the batch settles; counts so far while it runs. */
function summarize() {
  if (batch.size === 0) return;
  const items = [...batch];
  const named = (state) => items.filter((item) => item.dataset.state === state);
  const done = named('done');
  const failed = named('error');
  const cancelled = named('cancelled');
  const running = items.length - done.length - failed.length - cancelled.length;
  const nameOf = (item) => $('.name', item).textContent;
  if (items.length === 1) {
    const [item] = items;
    const name = nameOf(item);
    if (done.length) announce(`${name} uploaded.`);
    else if (failed.length) announce(`${name} failed: ${$('.message', item).textContent}`, { problem: true });
    else if (cancelled.length) announce(`Upload of ${name} cancelled.`);
    else announce(`Uploading ${name}.`);
    return;
  }
  const parts = [];
  if (done.length) parts.push(`${done.length} uploaded`);
  if (failed.length) parts.push(`${failed.length} failed (${failed.map(nameOf).join(', ')})`);
  if (cancelled.length) parts.push(`${cancelled.length} cancelled`);
  if (running) {
    announce(`Uploading ${plural(items.length, 'file')}${parts.length ? `: ${parts.join(', ')}, ${running} in progress` : ''}.`);
  } else {
    announce(`${parts.join(', ')}.`, { problem: failed.length > 0 });
  }
}

function createItem(name, size, file) {
  const item = template.content.firstElementChild.cloneNode(true);
  $('.name', item).textContent = name;
  $('.size', item).textContent = `(${formatBytes(size)})`;
  $('progress', item).setAttribute('aria-label', `Upload of ${name}`);
  $('.cancel', item).setAttribute('aria-label', `Cancel upload of ${name}`);
  $('.retry', item).setAttribute('aria-label', `Retry upload of ${name}`);
  // Files that cannot be previewed show their extension instead.
  $('.preview-box', item).dataset.extension = (/\.([a-z0-9]{1,5})$/i.exec(name)?.[1] ?? '').toUpperCase();
  if (file && /^image\//.test(file.type)) {
    // A preview from the user's own file: objects are private, so the bucket cannot serve one.
    const img = $('.preview', item);
    img.src = URL.createObjectURL(file);
    img.alt = `Preview of ${name}`;
    img.hidden = false;
  }
  list.prepend(item);
  return item;
}

/** What to tell the user about a failed upload, in plain words and human units. */
function messageFor(err, file, hadToken) {
  if (err instanceof UploadProblemError) {
    const detail = humanUnits(err.detail);
    switch (err.status) {
      case 401:
        return hadToken
          ? 'Your sign-in has expired or was not accepted, so the server would not prepare the upload. Sign in again, then retry.'
          : 'You are not signed in, so the server would not prepare the upload (it needs to know who is uploading). Sign in, then retry.';
      case 403: return `Not allowed: ${detail}`;
      case 413: return `Too large: this file is ${formatBytes(file.size)}; the limit is ${formatBytes(settings.maxFileSize)}.`;
      case 415: return `File type not accepted: ${detail}`;
      case 409: return `The upload is not complete yet: ${detail}`;
      case 429: return `Too many uploads at once: ${detail} Try again in a moment.`;
      default:
        return err.status >= 500 ? `The server could not prepare the upload (${err.status}): ${detail}` : `The server refused the upload (${err.status}): ${detail}`;
    }
  }
  if (err instanceof UploadStorageError) {
    if (err.expired) return 'The upload link expired before the file was sent. Retry to get a fresh one.';
    if (err.code === 'SignatureDoesNotMatch') return 'Storage refused the upload: what the browser sent does not match what the server signed (SignatureDoesNotMatch).';
    // S3 leaves out its CORS headers on some errors, so the body is unreadable: name the usual causes.
    if (err.status === 403 && !err.code) return 'Storage refused the upload (403): the signature did not match or the link expired.';
    return err.message;
  }
  if (err instanceof UploadNetworkError) {
    if (!navigator.onLine) return 'You are offline. Reconnect, then retry.';
    return err.target === 'storage'
      ? 'The browser could not send the file to storage: the network failed, or storage refused this page (CORS).'
      : 'Could not reach the server. Check the connection, then retry.';
  }
  return `Unexpected error: ${err?.message || err}`;
}

/** Uploads running now, so signing out can cancel them: each entry's `done` settles when its run() returns. */
const inFlight = new Set();

/** Runs one upload (new, retried or resumed) in its list item, with cancel and retry. */
async function run(item, file, options = {}) {
  const controller = new AbortController();
  let finished;
  const entry = { controller, done: new Promise((resolve) => (finished = resolve)) };
  inFlight.add(entry);
  try {
    await runUpload(item, file, options, controller);
  } finally {
    inFlight.delete(entry);
    finished();
  }
}

async function runUpload(item, file, options, controller) {
  const cancel = $('.cancel', item);
  const retry = $('.retry', item);
  retry.hidden = true;
  cancel.onclick = () => controller.abort();
  joinBatch(item);
  setProgress(item, 0, 1);
  setState(item, 'preparing', 'Asking the server for an upload link…');
  let hadToken = false;
  try {
    hadToken = Boolean(await auth.getToken());
    const result = await client.upload(file, {
      ...options,
      signal: controller.signal,
      onStart: ({ key, method, resumed }) => {
        item.dataset.key = key;
        setState(item, 'uploading', resumed ? 'Resuming: sending the parts storage does not have yet…' : method === 'MULTIPART' ? 'Uploading in parts…' : 'Uploading…');
      },
      onProgress: (loaded, total) => setProgress(item, loaded, total),
    });
    item.dataset.key = result.key;
    const keyLine = $('.key', item);
    $('code', keyLine).textContent = result.key;
    keyLine.hidden = false;
    setState(item, 'done', result.verified ? 'Uploaded and checked.' : 'Uploaded.');
  } catch (err) {
    if (err instanceof UploadCancelledError) {
      setState(item, 'cancelled', 'Cancelled.');
      return;
    }
    setState(item, 'error', messageFor(err, file, hadToken), err instanceof UploadProblemError ? err.detail : undefined);
    if (err instanceof UploadProblemError && err.status === 401) showSignedOut();
    // Worth another go: transient failures, storage refusals (often a clock or URL problem) and a fresh sign-in.
    // A multipart upload resumes: the client remembers it, and sends only the parts storage does not hold.
    if (err?.retryable || err instanceof UploadStorageError || err instanceof UploadNetworkError || err?.status === 401) {
      retry.hidden = false;
      retry.onclick = () => run(item, file, options);
    }
  }
}

function uploadFiles(files) {
  for (const file of files) run(createItem(file.name, file.size, file), file);
}

/** Offers to finish multipart uploads that a reload interrupted. */
async function offerResumes() {
  for (const pending of await client.pendingUploads()) {
    const name = pending.filename ?? pending.key;
    const item = createItem(name, pending.size, pending.blob);
    item.dataset.key = pending.key;
    item.dataset.state = 'error';
    $('.message', item).textContent = pending.blob ? 'Interrupted by a reload.' : `Interrupted by a reload: pick "${name}" again to resume.`;
    $('.cancel', item).hidden = true;
    const retry = $('.retry', item);
    retry.textContent = 'Resume';
    retry.setAttribute('aria-label', `Resume upload of ${name}`);
    retry.hidden = false;
    const options = { filename: pending.filename, contentType: pending.contentType };
    retry.onclick = () => {
      retry.textContent = 'Retry';
      retry.setAttribute('aria-label', `Retry upload of ${name}`);
      if (pending.blob) return run(item, pending.blob, options);
      const picker = document.createElement('input');
      picker.type = 'file';
      picker.onchange = () => {
        const chosen = picker.files[0];
        if (!chosen) return;
        if (chosen.size !== pending.size || chosen.name !== pending.filename) {
          $('.message', item).textContent = `That is not the same file: pick "${name}" (${formatBytes(pending.size)}) again.`;
          return;
        }
        run(item, chosen, options);
      };
      picker.click();
    };
  }
}

// ---- Shared browsers: one user's unfinished uploads (and the Files the resume store keeps) are never offered to another. ----

/** The resume store the client uses, held here so that signing out can empty it. */
const resumeStore = indexedDbResumeStore();
/** Prefix of every key this page keeps in localStorage or sessionStorage. */
const STORAGE_PREFIX = 'express-direct-upload:';
/** Whose uploads the resume store holds; a different user signing in finds it emptied first. */
const RESUME_OWNER_KEY = `${STORAGE_PREFIX}resume-owner`;
/** How long signing out waits for S3 to abort the user's unfinished uploads before forgetting them anyway. */
const SIGN_OUT_ABORT_MS = 5000;

/** Makes `user` the resume store's owner; records of anyone else (a user who never signed out) are dropped. */
async function claimResumeData(user) {
  if (localStorage.getItem(RESUME_OWNER_KEY) !== user) await resumeStore.clear();
  localStorage.setItem(RESUME_OWNER_KEY, user);
}

/**
 * Signing out on a shared browser: cancels running uploads, aborts unfinished multipart uploads in S3 while the token
 * still works (their parts would otherwise wait for the bucket's lifecycle rule), then forgets every resume record and
 * the page's own storage, and empties the list (file names and previews). Aborting is bounded: forgetting is not.
 */
async function forgetUser() {
  const stopping = [...inFlight].map(({ controller, done }) => (controller.abort(), done));
  const aborting = (async () => {
    await Promise.all(stopping);
    for (const pending of await client.pendingUploads()) {
      await client.abort({ key: pending.key, uploadId: pending.uploadId, fingerprint: pending.fingerprint }).catch(() => undefined);
    }
  })();
  await Promise.race([aborting, new Promise((resolve) => setTimeout(resolve, SIGN_OUT_ABORT_MS))]);
  await resumeStore.clear();
  for (const storage of [localStorage, sessionStorage]) {
    for (const name of Object.keys(storage)) if (name.startsWith(STORAGE_PREFIX)) storage.removeItem(name);
  }
  for (const img of list.querySelectorAll('img.preview[src^="blob:"]')) URL.revokeObjectURL(img.src);
  list.replaceChildren();
  batch.clear();
}

// ---- Page states. ----

/** Signed out: the sign-in form; uploads already listed stay visible, so their messages are not lost. */
function showSignedOut() {
  $('#account').hidden = true;
  $('#drop-zone').hidden = true;
  $('#uploader').hidden = list.children.length === 0;
  $('#sign-in').hidden = false;
}

function showSignedIn(user) {
  $('#account-name').textContent = user;
  $('#account').hidden = false;
  $('#sign-in').hidden = true;
  $('#drop-zone').hidden = false;
  $('#uploader').hidden = false;
}

function describeLimits() {
  const types = settings.allowedContentTypes.map((t) => t.replace(/^image\//, '').toUpperCase()).join(', ');
  $('#limits').textContent = `Accepted: ${types}. Up to ${formatBytes(settings.maxFileSize)} each.`;
  $('#file-input').accept = settings.allowedContentTypes.join(',');
}

function wireDropZone() {
  const zone = $('#drop-zone');
  const input = $('#file-input');
  input.addEventListener('change', () => {
    uploadFiles([...input.files]);
    input.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    uploadFiles([...(event.dataTransfer?.files ?? [])]);
  });
  // A file dropped next to the zone would otherwise make the browser navigate away from the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}

async function main() {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`Could not load /config.json (${response.status}).`);
  settings = await response.json();
  client = createUploadClient({ path: settings.uploadsPath, partConcurrency: settings.partConcurrency, getToken: () => auth.getToken(), resumeStore });
  describeLimits();
  wireDropZone();

  if (settings.signIn === 'dev') {
    auth = devSignIn();
    $('#dev-login').hidden = false;
    $('#dev-login').addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = $('#dev-user').value.trim();
      try {
        const user = await auth.signIn(name);
        await claimResumeData(user);
        showSignedIn(user);
        announce(`Signed in as ${name}.`);
        $('#file-input').focus();
      } catch (err) {
        announce(err.message, { problem: true });
      }
    });
  } else {
    auth = await auth0SignIn(settings.auth0);
    $('#auth0-login').hidden = false;
    $('#auth0-sign-in').addEventListener('click', () => auth.signIn());
  }
  $('#sign-out').addEventListener('click', async () => {
    await forgetUser();
    await auth.signOut();
    showSignedOut();
    announce('Signed out.');
  });

  const user = await auth.restore();
  if (user) {
    await claimResumeData(user);
    showSignedIn(user);
    await offerResumes();
  } else showSignedOut();
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  announce(`The page could not start: ${err.message}`, { problem: true });
  document.body.dataset.ready = 'error';
});
