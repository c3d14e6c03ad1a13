// Skips (or, with REQUIRE_BROWSER=1, fails) browser tests when there is no Chromium to launch.
import { browserUnavailableReason } from '../../dev/chromium';

/**
 * `describe()` for tests that drive a real browser. Without one the block is reported as skipped with the reason;
 * with REQUIRE_BROWSER=1 (CI) a missing browser is a failing test instead.
 */
export function describeWithBrowser(name: string, fn: () => void): void {
  const reason = browserUnavailableReason();
  if (!reason) describe(name, fn);
  else if (process.env.REQUIRE_BROWSER === '1') {
    describe(name, () => {
      test('has a browser to run in', () => {
        throw new Error(`REQUIRE_BROWSER=1 but there is ${reason}`);
      });
    });
  } else {
    // Jest prints nothing about a file whose tests are all skipped, so say why here too.
    console.warn(`Browser tests skipped: ${name}: ${reason}. Set REQUIRE_BROWSER=1 to make this an error.`);
    describe.skip(`${name} (skipped: ${reason})`, fn);
  }
}
