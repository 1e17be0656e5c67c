/**
 * A real headless Chromium for the web page's tests, through playwright-core (which ships no
 * browser): Debian's /usr/bin/chromium, or the one CHROMIUM_PATH names. A missing browser fails
 * the tests with a message saying what to install; CI installs it, so a skip would hide a
 * broken CI image.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where CI collects artefacts; screenshots go under it. */
export const SCREENSHOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-results', 'screenshots');

/** Starts headless Chromium, or throws saying how to get one. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: the browser tests need one (apt-get install chromium, or set CHROMIUM_PATH to a Chromium or Chrome executable)`);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    // No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
    args: ['--disable-background-networking', '--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** What a page reported that a person would see as a fault: console errors and uncaught exceptions. */
export interface PageProblems {
  /** Console errors and uncaught exceptions since the last `clear()`. */
  list: string[];
  clear(): void;
}

/** Records a page's console errors and uncaught exceptions from now on. */
export function watchProblems(page: Page): PageProblems {
  const list: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') list.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => list.push(`uncaught: ${error.message}`));
  return { list, clear: () => { list.length = 0; } };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
