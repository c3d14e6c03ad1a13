// Jest environment for the frontend plugin's tests: jsdom (document, XMLHttpRequest, CORS) plus the fetch every browser has.
import JSDOMEnvironment from 'jest-environment-jsdom';

/**
 * jsdom has no `fetch`, and Backstage's `fetchApi` (and so the upload client's calls to the backend) needs one. This
 * environment hands the page Node's own fetch: real HTTP to the test backend on 127.0.0.1, nothing stubbed. Its
 * AbortController and AbortSignal come along, because Node's fetch refuses a signal from jsdom's (another realm),
 * and the page passes its Cancel button's signal to every request. The PUT to S3 still goes through jsdom's
 * XMLHttpRequest, which sends the CORS preflight and enforces the bucket's answer as a browser does.
 */
export default class BrowserEnvironment extends JSDOMEnvironment {
  constructor(...args: ConstructorParameters<typeof JSDOMEnvironment>) {
    super(...args);
    const { fetch, Headers, Request, Response, AbortController, AbortSignal, TextEncoder, TextDecoder } = globalThis;
    Object.assign(this.global, { fetch, Headers, Request, Response, AbortController, AbortSignal, TextEncoder, TextDecoder });
    // Backstage UI's stylesheets use CSS nesting, which jsdom's parser does not know; its complaints about them are
    // about jsdom, not the page, and would bury real errors. Every other jsdom error is still reported.
    const [, context] = args;
    const virtualConsole = this.dom!.virtualConsole;
    virtualConsole.removeAllListeners('jsdomError');
    virtualConsole.on('jsdomError', (error: Error & { type?: string }) => {
      if (error.type !== 'css parsing') context.console.error(error);
    });
  }
}
