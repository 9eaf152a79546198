/**
 * Where the signed-in token is kept between visits. localStorage is readable
 * by any script on this origin, which is why the app's CSP allows scripts from
 * this origin only and nothing renders run data as HTML.
 */
const storageKey = "conveyor.token";

export function loadToken(): string | null {
  return localStorage.getItem(storageKey);
}

export function saveToken(token: string): void {
  localStorage.setItem(storageKey, token);
}

export function forgetToken(): void {
  localStorage.removeItem(storageKey);
}
