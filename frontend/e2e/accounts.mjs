// Browser end-to-end on the simulator: adopt the current Claude Code login
// from the empty state, switch by clicking a row, change a threshold in
// Settings and check for a release — all while the first scan of a long
// Claude Code history runs (held part-way while the file SCANGATE exists),
// then watch that scan in the Tokens view and let it finish.
// Usage: node accounts.mjs URL SHOTDIR SCANGATE
import { rmSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, shots, scanGate] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});
const step = (s) => console.log(`step: ${s}`);
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 340, height: 520 } });
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });

  step('save the login Claude Code uses now');
  await page.getByRole('button', { name: 'Save it' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add an account' });
  await dialog.getByLabel('Label').fill('work');
  await dialog.getByRole('button', { name: 'Add' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 20000 });
  await page.getByRole('group', { name: 'work (active)' }).waitFor({ timeout: 20000 });

  step('switch by clicking a row');
  await page.getByRole('button', { name: 'home, switch to this account' }).click();
  await page.getByRole('group', { name: 'home (active)' }).waitFor({ timeout: 30000 });
  await page.getByRole('button', { name: 'Undo' }).waitFor({ timeout: 5000 });
  await page.screenshot({ path: `${shots}/browser-widget.png` });

  step('the first scan of the history is still running');
  const scan = await page.evaluate(() => window.go.main.App.TokensProgress());
  if (!scan.running || scan.files_done >= scan.files_total || scan.bytes_total < 1e9) {
    throw new Error(`the switch did not happen during the first scan: ${JSON.stringify(scan)}`);
  }

  step('change a threshold in Settings');
  await page.setViewportSize({ width: 900, height: 640 });
  await page.getByRole('button', { name: 'Open the full panel' }).click();
  await page.getByRole('button', { name: /^Settings/ }).click();
  const threshold = page.getByLabel('5-hour threshold (%)');
  await threshold.fill('70');
  await threshold.press('Enter');
  await page.waitForFunction(() => document.querySelector('[role=alert]') === null);

  step('check for a release');
  await page.getByRole('button', { name: 'Check now' }).click();
  await page.getByText(/aimonitor v1\.0\.0 is available/).waitFor({ timeout: 20000 });
  await page.getByRole('button', { name: 'Open the release page' }).waitFor();
  await page.screenshot({ path: `${shots}/browser-settings.png` });

  step('accounts panel');
  await page.getByRole('button', { name: 'Accounts' }).click();
  await page.getByRole('heading', { name: /home/ }).waitFor();
  await page.screenshot({ path: `${shots}/browser-panel.png` });

  step('the Tokens view shows the first scan, which then finishes');
  await page.getByRole('button', { name: 'Tokens' }).click();
  const progress = page.getByRole('status').filter({ hasText: /Reading your Claude Code history: \d+ of \d+ files/ });
  await progress.waitFor({ timeout: 20000 });
  await page.getByRole('progressbar', { name: 'Claude Code history read' }).waitFor();
  await page.screenshot({ path: `${shots}/browser-tokens-scan.png` });
  rmSync(scanGate);
  await progress.waitFor({ state: 'hidden', timeout: 600000 });
  const report = await page.evaluate(() => window.go.main.App.TokensReport('', '', 'day'));
  if (!(report.rows?.length > 30) || !(report.totals?.input_tokens > 0)) {
    throw new Error(`after the scan: ${JSON.stringify(report).slice(0, 300)}`);
  }
  await page.screenshot({ path: `${shots}/browser-tokens.png` });

  if (consoleErrors.length) throw new Error(`console errors: ${consoleErrors.join(' | ')}`);
  console.log('browser: adopt, switch, threshold and release check all work');
} catch (e) {
  console.error('FAIL:', e.stack ?? String(e));
  failed = true;
  for (const p of browser.contexts().flatMap((c) => c.pages())) {
    await p.screenshot({ path: `${shots}/browser-failure.png` }).catch(() => {});
    console.error('page text:', (await p.innerText('body').catch(() => '')).slice(0, 2000));
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
