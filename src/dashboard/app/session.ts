/**
 * The key typed into the sign-in form lives in sessionStorage only: gone when the tab closes, never shared with
 * other tabs, never in localStorage or the URL (where history, logs and Referer headers would keep it).
 */
const STORAGE_NAME = 'together-gateway-dashboard-key';

export function savedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_NAME);
  } catch {
    return null; // storage disabled: the key lasts as long as the page
  }
}

export function saveKey(key: string): void {
  try {
    sessionStorage.setItem(STORAGE_NAME, key);
  } catch {
    // storage disabled: still signed in until the page is reloaded
  }
}

export function forgetKey(): void {
  try {
    sessionStorage.removeItem(STORAGE_NAME);
  } catch {
    // nothing stored
  }
}
