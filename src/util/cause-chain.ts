// Libraries wrap errors (drizzle wraps D1's), so what an error means is often in its causes.

/** The error and its causes, outermost first, at most `depth` links (cause chains can be cyclic). */
export function causeChain(error: unknown, depth = 5): unknown[] {
  const links: unknown[] = [];
  let current: unknown = error;
  for (let i = 0; current && i < depth; i++) {
    links.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return links;
}
