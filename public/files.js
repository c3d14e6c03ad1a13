// The page's "Your files" list: the signed-in user's stored files, a page at a time, each with Download and Delete, through the upload client.
import { UploadProblemError } from '/client/index.js';

const $ = (selector, root = document) => root.querySelector(selector);

/** Files asked for per page: one screenful, and one S3 listing plus one HEAD per file on the server. */
const PAGE_SIZE = 50;

/**
 * Wires the "Your files" section. `client` is the page's upload client, `announce` its status line, `formatBytes`
 * its size formatter. The section stays hidden when the server has the listing route turned off (404).
 */
export function createFileList({ client, announce, formatBytes }) {
  const section = $('#files');
  const body = $('#files-body');
  const table = $('#files-table');
  const empty = $('#files-empty');
  const more = $('#files-more');
  const rowTemplate = $('#file-row');
  let cursor = null;
  /** Bumped by every reload and hide, so an answer for an older state is ignored. */
  let generation = 0;

  const nameOf = (file) => file.filename || file.key.split('/').pop();
  const dateOf = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '');

  function showEmptiness() {
    const none = body.children.length === 0;
    empty.hidden = !none;
    table.hidden = none;
  }

  async function download(file, button) {
    button.disabled = true;
    try {
      const { url } = await client.downloadUrl(file.key, { attachment: true });
      // The URL answers with Content-Disposition: attachment, so following it saves the file and keeps this page.
      const link = document.createElement('a');
      link.href = url;
      link.rel = 'noopener';
      document.body.append(link);
      link.click();
      link.remove();
      announce(`Downloading ${nameOf(file)}.`);
    } catch (err) {
      announce(`Could not download ${nameOf(file)}: ${err instanceof UploadProblemError ? err.detail : err.message}`, { problem: true });
      if (err instanceof UploadProblemError && err.status === 404) reload();
    } finally {
      button.disabled = false;
    }
  }

  async function remove(file, row, button) {
    if (!window.confirm(`Delete ${nameOf(file)}? This cannot be undone.`)) return;
    button.disabled = true;
    try {
      await client.deleteFile(file.key);
      // Focus would be lost with the row: move it to the next row's Delete, else the Refresh button.
      const next = row.nextElementSibling ?? row.previousElementSibling;
      row.remove();
      showEmptiness();
      ((next && $('.file-delete', next)) || $('#files-refresh')).focus();
      announce(`Deleted ${nameOf(file)}.`);
    } catch (err) {
      button.disabled = false;
      announce(`Could not delete ${nameOf(file)}: ${err instanceof UploadProblemError ? err.detail : err.message}`, { problem: true });
    }
  }

  function addRow(file) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    const name = nameOf(file);
    row.dataset.key = file.key;
    $('.file-name', row).textContent = name;
    $('.file-name', row).title = file.key;
    $('.file-size', row).textContent = formatBytes(file.size);
    const time = $('time', row);
    time.textContent = dateOf(file.lastModified);
    if (file.lastModified) time.dateTime = file.lastModified;
    const downloadButton = $('.file-download', row);
    const deleteButton = $('.file-delete', row);
    downloadButton.setAttribute('aria-label', `Download ${name}`);
    deleteButton.setAttribute('aria-label', `Delete ${name}`);
    downloadButton.addEventListener('click', () => download(file, downloadButton));
    deleteButton.addEventListener('click', () => remove(file, row, deleteButton));
    body.append(row);
  }

  /** Loads the next page (or the first, after a reset) and appends its rows. */
  async function loadPage(reset) {
    const mine = reset ? ++generation : generation;
    section.setAttribute('aria-busy', 'true');
    try {
      const page = await client.listFiles({ limit: PAGE_SIZE, ...(reset || !cursor ? {} : { cursor }) });
      if (mine !== generation) return;
      if (reset) body.replaceChildren();
      for (const file of page.files) addRow(file);
      cursor = page.nextCursor;
      more.hidden = !cursor;
      section.hidden = false;
      showEmptiness();
    } catch (err) {
      if (mine !== generation) return;
      // No listing route on this server: nothing to show.
      if (err instanceof UploadProblemError && (err.status === 404 || err.status === 405)) section.hidden = true;
      else announce(`Could not list your files: ${err instanceof UploadProblemError ? err.detail : err.message}`, { problem: true });
    } finally {
      if (mine === generation) section.removeAttribute('aria-busy');
    }
  }

  function reload() {
    cursor = null;
    return loadPage(true);
  }

  $('#files-refresh').addEventListener('click', () => reload());
  more.addEventListener('click', () => loadPage(false));

  return {
    /** Shows the section with the first page of the user's files. */
    reload,
    /** Hides the section and forgets its rows, e.g. on sign-out. */
    hide() {
      generation += 1;
      cursor = null;
      body.replaceChildren();
      section.hidden = true;
    },
  };
}
