// A JSON body that stops arriving: the router answers 408 request_timeout within bodyTimeout and closes the connection, so a slow client holds no socket.
import net, { type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startUploadServices, type UploadServices } from '../support/upload-services';

const BODY_TIMEOUT = 500;
const BOUND = BODY_TIMEOUT + 3000;

let services: UploadServices;
let server: Server;
beforeAll(async () => {
  services = await startUploadServices('body-timeout');
  server = services.app({ bodyTimeout: BODY_TIMEOUT }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await services?.stop();
});

/** Sends the head and part of a body over a raw socket, then nothing; resolves with what came back and when the server closed. */
async function halfSentBody(head: string, partialBody: string) {
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  const started = Date.now();
  let received = '';
  let answeredAt = 0;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
    if (!answeredAt) answeredAt = Date.now();
  });
  socket.write(head + partialBody);
  const closedAt = await new Promise<number>((resolve) => {
    socket.on('close', () => resolve(Date.now()));
    // The test's own guard: a socket the server never frees fails here, not by hanging jest.
    setTimeout(() => {
      socket.destroy();
      resolve(Number.POSITIVE_INFINITY);
    }, BOUND + 2000).unref();
  });
  return { received, answerMs: answeredAt - started, closeMs: closedAt - started };
}

it('a body that stops arriving gets 408 problem+json within bodyTimeout, and the server closes the socket', async () => {
  const token = await services.token();
  const body = JSON.stringify({ filename: 'a.jpg', contentType: 'image/jpeg', size: 10 });
  const head = [
    'POST /uploads HTTP/1.1',
    'Host: 127.0.0.1',
    `Authorization: Bearer ${token}`,
    'Content-Type: application/json',
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  const { received, answerMs, closeMs } = await halfSentBody(head, body.slice(0, 10));
  console.log(`half-sent body, bodyTimeout ${BODY_TIMEOUT} ms: answered in ${answerMs} ms, socket closed in ${closeMs} ms`);
  const [statusLine] = received.split('\r\n');
  expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
  expect(received).toMatch(/\r\ncontent-type: application\/problem\+json/i);
  expect(received).toMatch(/\r\nconnection: close/i);
  const problem = JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4));
  expect(problem).toMatchObject({ status: 408, code: 'request_timeout' });
  expect(answerMs).toBeGreaterThanOrEqual(BODY_TIMEOUT - 50);
  expect(answerMs).toBeLessThan(BOUND);
  expect(closeMs).toBeLessThan(BOUND);
});

it('a whole body sent in slow pieces within the deadline is read as usual', async () => {
  const token = await services.token();
  const body = JSON.stringify({ filename: 'a.jpg', contentType: 'image/jpeg', size: 10 });
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  const answered = new Promise<void>((resolve) => {
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('"expiresAt"')) resolve();
    });
    socket.on('close', () => resolve());
  });
  socket.write(['POST /uploads HTTP/1.1', 'Host: 127.0.0.1', `Authorization: Bearer ${token}`, 'Content-Type: application/json', `Content-Length: ${body.length}`, '', ''].join('\r\n'));
  for (let i = 0; i < body.length; i += 20) {
    socket.write(body.slice(i, i + 20));
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  await answered;
  socket.destroy();
  expect(received.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
});
