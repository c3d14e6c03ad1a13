// The upload page: pick or drop files, each uploads straight to S3 with its own progress, error or result.
import { useApi } from '@backstage/frontend-plugin-api';
import { UploadCancelledError, UploadProblemError, type UploadResult } from 'express-direct-upload/client';
import { useCallback, useRef, useState, type ChangeEvent, type DragEvent } from 'react';
import { directUploadApiRef } from '../api';

type Status = 'uploading' | 'done' | 'failed' | 'cancelled';

interface Item {
  id: number;
  name: string;
  size: number;
  status: Status;
  loaded: number;
  result?: UploadResult;
  error?: string;
  controller: AbortController;
}

/** Plain units, as the page in public/ shows them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** What the user is told when an upload fails: the server's own problem detail when there is one. */
export function describeError(err: unknown): string {
  if (err instanceof UploadProblemError) {
    if (err.status === 401) return 'Your Backstage sign-in was not accepted by the upload service. Sign in again, then retry.';
    return `${err.detail} (${err.status} ${err.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}

const styles = {
  drop: (active: boolean) => ({
    border: `2px dashed ${active ? '#1976d2' : '#9e9e9e'}`,
    borderRadius: 8,
    padding: 32,
    textAlign: 'center' as const,
    background: active ? 'rgba(25, 118, 210, 0.08)' : 'transparent',
  }),
  list: { listStyle: 'none', padding: 0 },
  item: { padding: '8px 0', borderBottom: '1px solid #e0e0e0' },
  error: { color: '#c62828' },
};

export function UploadPage() {
  const api = useApi(directUploadApiRef);
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const nextId = useRef(1);

  const update = useCallback((id: number, change: Partial<Item>) => {
    setItems((current) => current.map((item) => (item.id === id ? { ...item, ...change } : item)));
  }, []);

  const start = useCallback(
    (files: Iterable<File>) => {
      for (const file of files) {
        const item: Item = { id: nextId.current++, name: file.name, size: file.size, status: 'uploading', loaded: 0, controller: new AbortController() };
        setItems((current) => [...current, item]);
        api
          .upload(file, { signal: item.controller.signal, onProgress: (loaded) => update(item.id, { loaded }) })
          .then(
            (result) => update(item.id, { status: 'done', loaded: file.size, result }),
            (err: unknown) =>
              err instanceof UploadCancelledError ? update(item.id, { status: 'cancelled' }) : update(item.id, { status: 'failed', error: describeError(err) }),
          );
      }
    },
    [api, update],
  );

  const onPick = (event: ChangeEvent<HTMLInputElement>) => {
    if (event.target.files) start(Array.from(event.target.files));
    event.target.value = ''; // the same file can be picked again
  };
  const onDrop = (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setDragging(false);
    start(Array.from(event.dataTransfer.files));
  };

  return (
    <section aria-label="Upload files">
      <div
        data-testid="drop-zone"
        style={styles.drop(dragging)}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop files here, or</p>
        <label>
          Choose files <input type="file" multiple onChange={onPick} aria-label="Choose files" />
        </label>
      </div>
      <ul style={styles.list} aria-label="Uploads">
        {items.map((item) => (
          <li key={item.id} style={styles.item} aria-label={item.name}>
            <strong>{item.name}</strong> ({formatBytes(item.size)}){' '}
            {item.status === 'uploading' && (
              <>
                <progress value={item.loaded} max={item.size || 1} aria-label={`${item.name} progress`} />{' '}
                {item.size ? Math.floor((item.loaded / item.size) * 100) : 0}%{' '}
                <button type="button" onClick={() => item.controller.abort()}>
                  Cancel
                </button>
              </>
            )}
            {item.status === 'done' && item.result && (
              <span role="status">
                Uploaded as <code>{item.result.key}</code> ({formatBytes(item.result.size)}, {item.result.contentType})
              </span>
            )}
            {item.status === 'failed' && (
              <span role="alert" style={styles.error}>
                {item.error}
              </span>
            )}
            {item.status === 'cancelled' && <span role="status">Cancelled</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
