// The one error writer: safe header values, a bare fallback when writing fails, and the router's handler with a throwing onError.
import express from 'express';
import request from 'supertest';
import { DirectUploadError, ForbiddenError } from '../../middleware/errors';
import { problemHandler, safeHeaderValue, sendProblem } from '../../middleware/http/problem';
import { fakeApp } from '../support/fake-deps';

describe('safeHeaderValue', () => {
  it('keeps visible ASCII, space and tab; turns CR, LF, backslash and non-Latin text into "?"', () => {
    expect(safeHeaderValue('Bearer realm="api",\terror="x"')).toBe('Bearer realm="api",\terror="x"');
    expect(safeHeaderValue('a\r\nSet-Cookie: x')).toBe('a??Set-Cookie: x');
    expect(safeHeaderValue('alg="\\"é€')).toBe('alg="?"??');
  });
});

describe('sendProblem', () => {
  it('writes a header value that would split the response as "?"', async () => {
    const app = express();
    app.use((_req, res) => sendProblem(res, new ForbiddenError('no', { headers: { 'X-Why': 'a\r\nInjected: 1' } })));
    const res = await request(app).get('/').expect(403);
    expect(res.headers['x-why']).toBe('a??Injected: 1');
    expect(res.headers).not.toHaveProperty('injected');
  });

  it('falls back to a bare answer of the same status, without the error\'s headers, when they cannot be written', async () => {
    const app = express();
    app.use((_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', 'https://app.test');
      sendProblem(res, new ForbiddenError('no', { headers: { 'Bad Name': 'x' } }));
    });
    const res = await request(app).get('/').expect(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['access-control-allow-origin']).toBe('https://app.test');
    expect(res.body).toEqual({ title: 'Error', status: 403, detail: 'The server failed to handle this request.' });
  });

  it('falls back to a 500 for an error object with no usable status', async () => {
    const app = express();
    const broken = Object.assign(Object.create(DirectUploadError.prototype), { status: 99, code: 'x', title: 't', message: 'm', headers: { 'Bad Name': 'x' } });
    app.use((_req, res) => sendProblem(res, broken));
    const res = await request(app).get('/').expect(500);
    expect(res.body).toEqual({ title: 'Error', status: 500, detail: 'The server failed to handle this request.' });
  });

  it('ends a response whose head is already sent, writing nothing more', async () => {
    const app = express();
    app.use((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('partial');
      sendProblem(res, new ForbiddenError('no'));
    });
    const res = await request(app).get('/').expect(200);
    expect(res.text).toBe('partial');
  });
});

describe('the router\'s problem handler', () => {
  it('still answers with problem+json when onError throws, and logs that it did', async () => {
    const logged: unknown[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args[0]));
    try {
      const { app } = fakeApp({
        onError: () => {
          throw new Error('logger down');
        },
      });
      const res = await request(app).post('/uploads').send({ contentType: 'image/png', size: 1 }).expect(401);
      expect(res.body.code).toBe('invalid_token');
      expect(res.body.instance).toBe('/uploads');
      expect(logged).toEqual(['express-direct-upload: onError threw']);
    } finally {
      spy.mockRestore();
    }
  });

  it('tells onError the original error and the one sent, and leaves the query string out of instance', async () => {
    const seen: Array<[unknown, DirectUploadError]> = [];
    const app = express();
    const thrown = new Error('secret internals');
    app.get('/x', () => {
      throw thrown;
    });
    app.use(problemHandler((err, mapped) => void seen.push([err, mapped])));
    const res = await request(app).get('/x?token=abc').expect(500);
    expect(res.body).toEqual({ type: 'urn:express-direct-upload:problem:internal_error', title: expect.any(String), status: 500, detail: 'The server failed to handle this request.', code: 'internal_error', instance: '/x' });
    expect(res.text).not.toContain('secret internals');
    expect(seen[0][0]).toBe(thrown);
    expect(seen[0][1].cause).toBe(thrown);
  });

  it('passes an error on when the response has already started, for Express to close it', async () => {
    const seen: unknown[] = [];
    const app = express();
    app.get('/x', (_req, res, next) => {
      res.writeHead(200);
      res.write('partial');
      next(new Error('late'));
    });
    app.use(problemHandler((err) => void seen.push(err)));
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.end(`|passed on: ${err.message}`));
    const res = await request(app).get('/x');
    expect(res.text).toBe('partial|passed on: late');
    expect(seen).toEqual([]);
  });
});
