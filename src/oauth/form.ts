// Form parameters as RFC 6749 reads them: an empty value counts as absent (§3.1) and a parameter sent
// twice is an error (§3.1, §3.2), so no request is answered by guessing which copy was meant.
export type Params = ReadonlyMap<string, string>;

export interface ParsedParams {
  params: Params;
  /** Names sent more than once (with values): the caller decides which error that is. */
  repeated: string[];
}

export function readParams(search: URLSearchParams): ParsedParams {
  const params = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [name, value] of search) {
    if (value === "") continue;
    if (params.has(name)) repeated.add(name);
    else params.set(name, value);
  }
  return { params, repeated: [...repeated] };
}

/**
 * A registered redirect URI: absolute https, or http on a loopback host (local development and tests),
 * without a fragment (RFC 6749 §3.1.2). Returns why not, or null when fine.
 */
export function redirectUriProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not an absolute URL";
  }
  if (url.hash !== "" || text.includes("#")) return "must not contain a fragment (#)";
  if (url.username !== "" || url.password !== "") return "must not contain user info";
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && loopback) return null;
  return "must use https (http only for localhost or 127.0.0.1)";
}

/** The redirect URI with the response parameters added to its query (RFC 6749 §4.1.2, §4.1.2.1). */
export function redirectWith(redirectUri: string, values: Record<string, string | null>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(values)) if (value !== null) url.searchParams.set(name, value);
  return url.toString();
}
