// Which URLs an endpoint may have. Checked by the CLI before an endpoint is stored and again by the worker
// before each delivery (an endpoint row edited by hand gets no further). Credentials in a URL would end up in
// D1 exports and logs, and plain http would expose signed event bodies on the wire.

const MAX_URL_LENGTH = 2048;

/** Null when acceptable, else why not (one line). `allowHttp`: local development only. */
export function endpointUrlProblem(text: string, allowHttp: boolean): string | null {
  if (text.length > MAX_URL_LENGTH) return `the URL is longer than ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not an absolute URL`;
  }
  if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) {
    return allowHttp ? "the URL must be http or https" : "the URL must be https (plain http is allowed in local development only)";
  }
  if (url.username !== "" || url.password !== "") return "the URL must not contain credentials (user:password@)";
  if (url.hash !== "") return "the URL must not have a #fragment";
  return null;
}
