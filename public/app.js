// The page's UI: sign-in (Auth0 or the embedded development login), file picking and dropping, one list item per upload.
import { abortUpload, formatBytes, resumeUpload, unfinishedUploads, uploadFile, UploadError } from './uploader.js';

const $ = (selector, root = document) => root.querySelector(selector);
const statusLine = $('#status');

/** Announces a message in the aria-live region (and shows it). */
function announce(message, { problem = false } = {}) {
  statusLine.textContent = message;
  statusLine.classList.toggle('problem', problem);
}

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
    async getToken() {
      const session = read();
      if (!session) throw new UploadError('auth', 'Your development sign-in has expired. Sign in again.');
      return session.token;
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
    getToken: () => client.getTokenSilently(),
  };
}

// ---- Uploads: one list item per file, driven by uploader.js. ----

const list = $('#uploads');
const template = $('#upload-item');
let auth;
let settings;

function setState(item, state, message) {
  item.dataset.state = state;
  $('.message', item).textContent = message;
  const busy = state === 'uploading' || state === 'preparing' || state === 'finishing';
  $('.cancel', item).hidden = !busy;
}

function setProgress(item, loaded, total) {
  const percent = total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
  const bar = $('progress', item);
  bar.value = percent;
  bar.setAttribute('aria-valuetext', `${percent}% of ${formatBytes(total)}`);
  $('.percent', item).textContent = `${percent}%`;
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

function messageFor(err) {
  if (err instanceof UploadError) return err.message;
  return `Unexpected error: ${err?.message || err}`;
}

/** Runs one upload (new or resumed) in its list item, with cancel and retry. */
async function run(item, name, start, abort) {
  const controller = new AbortController();
  const cancel = $('.cancel', item);
  const retry = $('.retry', item);
  retry.hidden = true;
  cancel.onclick = () => controller.abort();
  setProgress(item, 0, 1);
  delete item.dataset.started;
  setState(item, 'preparing', 'Asking the server for an upload link…');
  const options = {
    uploadsPath: settings.uploadsPath,
    partConcurrency: settings.partConcurrency,
    getToken: () => auth.getToken(),
    signal: controller.signal,
    onStarted: ({ key, method }) => {
      item.dataset.started = 'true';
      setState(item, 'uploading', method === 'MULTIPART' ? 'Uploading in parts…' : 'Uploading…');
      item.dataset.key = key;
    },
    onProgress: (loaded, total) => setProgress(item, loaded, total),
  };
  try {
    const result = await start(options);
    item.dataset.key = result.key;
    const keyLine = $('.key', item);
    $('code', keyLine).textContent = result.key;
    keyLine.hidden = false;
    setState(item, 'done', result.verified ? 'Uploaded and checked.' : 'Uploaded.');
    announce(`${name} uploaded.`);
  } catch (err) {
    if (err?.kind === 'cancelled') {
      setState(item, 'cancelled', 'Cancelled.');
      announce(`Upload of ${name} cancelled.`);
      if (abort) await abort(options).catch(() => undefined);
      return;
    }
    const message = messageFor(err);
    setState(item, 'error', message);
    announce(`${name} failed: ${message}`, { problem: true });
    if (err?.kind === 'auth') showSignedOut();
    if (err?.retryable || err?.kind === 'signature' || err?.kind === 'network') {
      retry.hidden = false;
      retry.onclick = () => run(item, name, start, abort);
    }
  }
}

function uploadFiles(files) {
  if (files.length === 0) return;
  announce(files.length === 1 ? `Uploading ${files[0].name}.` : `Uploading ${files.length} files.`);
  for (const file of files) {
    const item = createItem(file.name, file.size, file);
    let multipart;
    const unfinished = async () => (await unfinishedUploads()).map((u) => u.entry).find((e) => e.key === multipart);
    const start = async (options) => {
      // Retrying a multipart upload continues it: the parts already in S3 are not sent again.
      const entry = multipart && (await unfinished());
      if (entry) return resumeUpload(entry, file, options);
      return uploadFile(file, {
        ...options,
        onStarted: (started) => {
          multipart = started.method === 'MULTIPART' ? started.key : undefined;
          options.onStarted(started);
        },
      });
    };
    run(item, file.name, start, async (options) => {
      const entry = multipart && (await unfinished());
      if (entry) await abortUpload(entry, options);
    });
  }
}

/** Offers to finish multipart uploads that a reload interrupted. */
async function offerResumes() {
  for (const { entry, file } of await unfinishedUploads()) {
    const item = createItem(entry.name, entry.size, file);
    item.dataset.key = entry.key;
    setState(item, 'error', file ? 'Interrupted by a reload.' : `Interrupted by a reload: pick "${entry.name}" again to resume.`);
    const retry = $('.retry', item);
    retry.textContent = 'Resume';
    retry.setAttribute('aria-label', `Resume upload of ${entry.name}`);
    retry.hidden = false;
    const abort = (options) => abortUpload(entry, options);
    const resumeWith = (chosen) => run(item, entry.name, (options) => resumeUpload(entry, chosen, options), abort);
    retry.onclick = () => {
      if (file) return resumeWith(file);
      const picker = document.createElement('input');
      picker.type = 'file';
      picker.onchange = () => picker.files[0] && resumeWith(picker.files[0]);
      picker.click();
    };
  }
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
  describeLimits();
  wireDropZone();

  if (settings.signIn === 'dev') {
    auth = devSignIn();
    $('#dev-login').hidden = false;
    $('#dev-login').addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = $('#dev-user').value.trim();
      try {
        showSignedIn(await auth.signIn(name));
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
    await auth.signOut();
    showSignedOut();
    announce('Signed out.');
  });

  const user = await auth.restore();
  if (user) {
    showSignedIn(user);
    await offerResumes();
  } else showSignedOut();
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  announce(`The page could not start: ${err.message}`, { problem: true });
  document.body.dataset.ready = 'error';
});
