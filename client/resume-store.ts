// Where unfinished multipart uploads are remembered between attempts: the ResumeStore interface and two stores.

/** What resuming a multipart upload needs; saved when it starts, deleted when it completes or is aborted. */
export interface ResumeRecord {
  /** The file's fingerprint (name, size, type, last modified, server): the store's key. */
  fingerprint: string;
  key: string;
  uploadId: string;
  size: number;
  partSize: number;
  partCount: number;
  contentType: string;
  filename?: string;
  /** When the upload started (ms since the epoch). */
  createdAt: number;
  /** The file itself, so a reload can resume without asking for it again. A store that cannot keep Blobs drops it. */
  blob?: Blob;
}

/**
 * A pluggable place for ResumeRecords, keyed by fingerprint. Methods may be synchronous or return promises.
 * `list` is optional: it lets a page offer to resume uploads that a reload interrupted. `clear` is optional: it lets
 * a page forget every record (and the Files they keep) when its user signs out of a shared browser.
 */
export interface ResumeStore {
  get(fingerprint: string): Promise<ResumeRecord | undefined> | ResumeRecord | undefined;
  set(fingerprint: string, record: ResumeRecord): Promise<void> | void;
  delete(fingerprint: string): Promise<void> | void;
  list?(): Promise<ResumeRecord[]> | ResumeRecord[];
  clear?(): Promise<void> | void;
}

/** A store in memory: resumes retries within one process (Node, tests); forgets everything on exit. */
export function memoryResumeStore(): ResumeStore {
  const records = new Map<string, ResumeRecord>();
  return {
    get: (fingerprint) => records.get(fingerprint),
    set: (fingerprint, record) => void records.set(fingerprint, record),
    delete: (fingerprint) => void records.delete(fingerprint),
    list: () => [...records.values()],
    clear: () => records.clear(),
  };
}

export interface IndexedDbResumeStoreOptions {
  /** IndexedDB database name. It defaults to `express-direct-upload`. */
  database?: string;
}

const OBJECT_STORE = 'resume';

/** Resolves once the transaction committed, so a record written just before a reload is there after it. */
function committed<T>(transaction: IDBTransaction, request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve(request.result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

/**
 * A store in the browser's IndexedDB, which keeps the File too (structured clone), so an upload resumes after a
 * reload. Where IndexedDB is missing or refuses (private mode), it remembers nothing and uploads still work.
 */
export function indexedDbResumeStore(options: IndexedDbResumeStoreOptions = {}): ResumeStore {
  const name = options.database ?? 'express-direct-upload';
  let opening: Promise<IDBDatabase | undefined> | undefined;
  const open = () =>
    (opening ??= new Promise<IDBDatabase | undefined>((resolve) => {
      if (typeof indexedDB === 'undefined') return resolve(undefined);
      const request = indexedDB.open(name, 2);
      request.onupgradeneeded = () => {
        const db = request.result;
        // Version 1 (the page's old uploader.js) kept bare Files in "files"; records replace them.
        if (db.objectStoreNames.contains('files')) db.deleteObjectStore('files');
        if (!db.objectStoreNames.contains(OBJECT_STORE)) db.createObjectStore(OBJECT_STORE);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => resolve(undefined);
      request.onblocked = () => resolve(undefined);
    }));
  async function run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T | undefined> {
    const db = await open();
    if (!db) return undefined;
    try {
      const transaction = db.transaction(OBJECT_STORE, mode);
      return await committed(transaction, action(transaction.objectStore(OBJECT_STORE)));
    } catch {
      // A full or failing store must not fail the upload; it only loses the ability to resume.
      return undefined;
    }
  }
  return {
    get: (fingerprint) => run('readonly', (store) => store.get(fingerprint) as IDBRequest<ResumeRecord | undefined>),
    set: async (fingerprint, record) => {
      await run('readwrite', (store) => store.put(record, fingerprint));
    },
    delete: async (fingerprint) => {
      await run('readwrite', (store) => store.delete(fingerprint));
    },
    list: async () => (await run('readonly', (store) => store.getAll() as IDBRequest<ResumeRecord[]>)) ?? [],
    clear: async () => {
      await run('readwrite', (store) => store.clear());
    },
  };
}
