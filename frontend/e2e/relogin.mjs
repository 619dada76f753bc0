// Browser end-to-end: an account whose login died shows "re-login"; the
// button renews that account's login (the Go test logs Claude Code in again
// when this script says it waits), then the account switches by a click.
// Usage: node relogin.mjs URL SHOTDIR
import { chromium } from 'playwright-core';

const [url, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});
const step = (s) => console.log(`step: ${s}`);
let failed = false;
let page;
try {
  page = await browser.newPage({ viewport: { width: 340, height: 520 } });
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });

  // The window keeps its mode: come back to the mini widget if an earlier
  // script left the full panel open.
  const badge = page.getByRole('button', { name: 're-login', exact: true });
  const back = page.getByRole('button', { name: 'Back to widget' });
  await badge.or(back).first().waitFor({ timeout: 30000 });
  if (await back.isVisible()) await back.click();

  step('the dead login shows re-login');
  await badge.click({ timeout: 30000 });
  const dialog = page.getByRole('dialog', { name: 'Renew a login' });
  await dialog.getByText('work@example.com').first().waitFor({ timeout: 10000 });
  await dialog.getByRole('button', { name: 'Start' }).click();
  // The backend's own instructions, sent once it has read the login to put
  // back: only then may Claude Code's login change.
  await dialog.getByRole('status').getByText('log in as work@example.com').waitFor({ timeout: 30000 });
  step('waiting for a new login'); // the Go test logs Claude Code in as work now
  await dialog.getByRole('status').getByText('renewed the login of "work"').waitFor({ timeout: 60000 });
  await page.screenshot({ path: `${shots}/browser-relogin.png` });
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 10000 });
  await badge.waitFor({ state: 'detached', timeout: 30000 });

  step('switch to the renewed account');
  await page.getByRole('button', { name: 'work, switch to this account' }).click();
  await page.getByRole('group', { name: 'work (active)' }).waitFor({ timeout: 30000 });

  if (consoleErrors.length) throw new Error(`console errors: ${consoleErrors.join(' | ')}`);
  console.log('browser: re-login renewed the account and it switches');
} catch (e) {
  console.error('FAIL:', e.stack ?? String(e));
  if (page) {
    // What the widget showed, for the Go test's failure message.
    console.error('page text at failure:\n' + (await page.locator('body').innerText({ timeout: 5000 }).catch(() => '?')));
    await page.screenshot({ path: `${shots}/browser-relogin-failed.png`, timeout: 5000 }).catch(() => {});
  }
  failed = true;
}
await browser.close();
process.exit(failed ? 1 : 0);
