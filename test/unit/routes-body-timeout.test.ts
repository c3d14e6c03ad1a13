// The JSON body's read deadline (bodyTimeout) through the router on fakes: a body that stops arriving is a 408 and a closed socket, a slow whole one is read.
import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { fakeApp, SUB_HEADER, type FakeApp } from '../support/fake-deps';

const BODY_TIMEOUT = 300;

let fake: FakeApp;
let server: Server;
beforeAll(async () => {
  fake = fakeApp({ bodyTimeout: BODY_TIMEOUT });
  server = fake.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const body = JSON.stringify({ contentType: 'image/png', size: 10 });
const head = ['POST /uploads HTTP/1.1', 'Host: 127.0.0.1', `${SUB_HEADER}: auth0|alice`, 'Content-Type: application/json', `Content-Length: ${body.length}`, '', ''].join('\r\n');

/** Writes `chunks` over a raw socket, `gap` ms apart; resolves with what came back and how long until the server closed it. */
async function send(chunks: string[], gap: number) {
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  const started = Date.now();
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  void (async () => {
    for (const chunk of chunks) {
      if (socket.destroyed) return;
      socket.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, gap));
    }
  })();
  const closedMs = await new Promise<number>((resolve) => {
    socket.on('close', () => resolve(Date.now() - started));
    // The test's own guard: a socket the server never frees fails here rather than hanging jest.
    setTimeout(() => {
      socket.destroy();
      resolve(Number.POSITIVE_INFINITY);
    }, BODY_TIMEOUT + 3000).unref();
  });
  return { received, closedMs };
}

it('answers 408 request_timeout with Connection: close once bodyTimeout passes without the whole body, signs nothing, and closes the socket', async () => {
  const { received, closedMs } = await send([head + body.slice(0, 10)], 10_000);
  expect(received.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
  expect(received).toMatch(/\r\nconnection: close\r\n/i);
  expect(received).toMatch(/\r\ncontent-type: application\/problem\+json/i);
  expect(received).toContain(`"detail":"The request body did not arrive within ${BODY_TIMEOUT} ms. Send it whole, then wait for the answer."`);
  expect(closedMs).toBeGreaterThanOrEqual(BODY_TIMEOUT - 50);
  expect(closedMs).toBeLessThan(BODY_TIMEOUT + 2000);
  expect(fake.signer.calls).toEqual([]);
});

it('reads a body that arrives in pieces within bodyTimeout', async () => {
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  const answered = new Promise<void>((resolve) => {
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('"expiresAt"')) resolve();
    });
    setTimeout(resolve, BODY_TIMEOUT + 3000).unref();
  });
  for (const piece of [head, body.slice(0, 5), body.slice(5, 20), body.slice(20)]) {
    socket.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  await answered;
  socket.destroy();
  expect(received.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  expect(fake.signer.calls).toHaveLength(1);
});
