// Runs the shipped Postman collection (with its own test scripts) against the embedded default, so the walkthrough cannot rot.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server';

const dir = path.resolve(__dirname, '../../example-server');
const collection = JSON.parse(readFileSync(path.join(dir, 'postman_collection.json'), 'utf8'));
const environment = JSON.parse(readFileSync(path.join(dir, 'postman_environment.json'), 'utf8'));

interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  event?: Array<{ listen: string; script: { exec: string[] } }>;
  request?: {
    method: string;
    header: Array<{ key: string; value: string }>;
    url: { raw: string };
    auth?: { type: string };
    body?: { mode: string; raw?: string };
  };
}

/** Requests in the order Postman's runner takes them: depth first, as listed. */
const flatten = (items: PostmanItem[]): PostmanItem[] => items.flatMap((i) => (i.item ? flatten(i.item) : [i]));

describe('example-server/postman_collection.json', () => {
  let running: EmbeddedServer;

  beforeAll(async () => {
    running = await startEmbeddedServer();
  });
  afterAll(async () => {
    await running?.stop();
  });

  it('is a v2.1 collection whose environment targets the embedded default', () => {
    expect(collection.info.schema).toBe('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    const values = Object.fromEntries(environment.values.map((v: { key: string; value: string }) => [v.key, v.value]));
    expect(values).toMatchObject({ baseUrl: 'http://localhost:3000', issuerUrl: 'http://127.0.0.1:4569/' });
  });

  it('runs in order with its own test scripts: token, GET /uploads, PUT, complete, POST /uploads, then the error examples', async () => {
    const file = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(1500, 5), Buffer.from([0xff, 0xd9])]);
    const vars: Record<string, string> = Object.fromEntries(environment.values.map((v: { key: string; value: string }) => [v.key, v.value]));
    // Same environment, pointed at this run's free ports.
    vars.baseUrl = `http://localhost:${running.port}`;
    vars.issuerUrl = running.embedded!.issuer.url;
    vars.fileSize = String(file.length);
    const fill = (text: string) => text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => vars[name] ?? '');

    const ran: Array<[string, number]> = [];
    for (const item of flatten(collection.item)) {
      const request = item.request!;
      const headers: Record<string, string> = Object.fromEntries(request.header.map((h) => [h.key, fill(h.value)]));
      const auth = request.auth ?? collection.auth;
      if (auth.type === 'bearer') headers.Authorization = `Bearer ${fill(auth.bearer[0].value)}`;
      const body = request.body?.mode === 'raw' ? fill(request.body.raw!) : request.body?.mode === 'file' ? new Uint8Array(file) : undefined;
      const res = await fetch(fill(request.url.raw), { method: request.method, headers, body });
      const text = await res.text();
      const pm = {
        response: { code: res.status, json: () => JSON.parse(text) },
        environment: { set: (name: string, value: string) => void (vars[name] = value) },
        test: (_name: string, fn: () => void) => fn(),
        expect: (actual: unknown) => ({ to: { eql: (expected: unknown) => expect({ request: item.name, status: actual, body: text }).toEqual({ request: item.name, status: expected, body: text }) } }),
      };
      for (const event of item.event ?? []) {
        if (event.listen === 'test') new Function('pm', event.script.exec.join('\n'))(pm);
      }
      ran.push([item.name, res.status]);
    }
    expect(ran).toEqual([
      ['1. Get a development token', 200],
      ['2. GET /uploads (AWS sample flow)', 200],
      ['3. PUT the file to uploadURL', 200],
      ['4. POST /uploads/complete', 200],
      ['POST /uploads (JSON, as the page does)', 200],
      ['415: a type that is not allowed', 415],
      ['401: no token', 401],
    ]);
  });
});
