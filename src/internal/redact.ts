/** Query parameters and headers whose values are credentials, whatever the upstream. */
const SECRET_NAME = /(key|token|secret|password|auth|signature|credential)/i;

/** A URL safe to print: credentials in the user-info and secret-looking query values are masked. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.password) parsed.password = '***';
  if (parsed.username && parsed.password) parsed.username = '***';
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_NAME.test(name)) parsed.searchParams.set(name, '***');
  }
  // RPC providers (QuickNode, Chainstack, Infura) put the key in the path: keep only its first characters.
  parsed.pathname = parsed.pathname.replace(
    /\/([A-Za-z0-9_-]{24,})/g,
    (_m, token: string) => `/${token.slice(0, 4)}***`,
  );
  return parsed.toString();
}

/** Replaces every occurrence of the given secret values in a text by `***`. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}

/** Masks the password of every `scheme://user:password@` in a text, even one too broken to parse as a URL. */
export function maskUrlPasswords(text: string): string {
  return text.replace(/(\/\/[^\s:/@]*):[^\s@/]*@/g, '$1:***@');
}
