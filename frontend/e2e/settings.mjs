// Browser end-to-end: drives the real UI served by `wails dev` (live Go
// bindings) in Debian's Chromium. Usage: node settings.mjs URL SCREENSHOT
import { chromium } from 'playwright-core';

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});
const fail = async (msg) => {
  console.error('FAIL:', msg);
  await browser.close();
  process.exit(1);
};
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await page.goto(url, { waitUntil: 'load' });
  await page.getByText('No accounts yet').waitFor({ timeout: 30000 });

  await page.getByRole('button', { name: 'Open the full panel' }).click();
  await page.getByRole('button', { name: 'Settings' }).click();
  const threshold = page.getByLabel('5-hour threshold (%)');

  await threshold.fill('150');
  await threshold.press('Enter');
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 10000 });
  const text = await alert.textContent();
  if (!text.includes('out of range')) await fail(`unexpected validation message: ${text}`);

  await threshold.fill('70');
  await threshold.press('Enter');
  await alert.waitFor({ state: 'detached', timeout: 10000 });
  await page.screenshot({ path: shot });
  if (consoleErrors.length) await fail(`console errors: ${consoleErrors.join(' | ')}`);
  console.log('browser: threshold set to 70 through the panel');
} catch (e) {
  await fail(e.stack ?? String(e));
}
await browser.close();
