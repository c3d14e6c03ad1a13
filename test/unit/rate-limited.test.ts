// RateLimitedError as a host sends it with sendProblem, e.g. from a limiter in front of the router: the whole HTTP answer.
import express from 'express';
import request from 'supertest';
import { RateLimitedError, sendProblem } from '../support/fake-deps';

function limitedApp(error: () => RateLimitedError) {
  const app = express();
  app.use((_req, res) => sendProblem(res, error()));
  return app;
}

describe('RateLimitedError', () => {
  it('is a 429 rate_limited problem with Retry-After in whole seconds, rounded up', async () => {
    const res = await request(limitedApp(() => new RateLimitedError('Too many upload requests.', 29.2))).get('/uploads').expect(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({ type: 'urn:express-direct-upload:problem:rate_limited', title: 'Too Many Requests', status: 429, detail: 'Too many upload requests.', code: 'rate_limited' });
  });

  it('sends Retry-After: 0 for a time already past', async () => {
    const res = await request(limitedApp(() => new RateLimitedError('Too many upload requests.', -5))).get('/uploads').expect(429);
    expect(res.headers['retry-after']).toBe('0');
  });

  it.each([
    ['no retry value', undefined],
    ['a retry value that is not a number (a limiter without a reset time)', Number.NaN],
    ['an infinite retry value', Number.POSITIVE_INFINITY],
  ])('sends no Retry-After for %s', async (_name, seconds) => {
    const res = await request(limitedApp(() => new RateLimitedError('Too many upload requests.', seconds))).get('/uploads').expect(429);
    expect(res.headers).not.toHaveProperty('retry-after');
    expect(res.body.code).toBe('rate_limited');
  });
});
