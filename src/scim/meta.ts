// Server-owned attributes of a stored resource: id and meta (RFC 7643 §3.1), and its ETag.
export interface StoredResource {
  id: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  data: Record<string, unknown>;
}

export function etag(version: number): string {
  return `W/"${version}"`;
}

/** The wire form: schemas first, then id, the attributes, and meta last. */
export function renderResource(stored: StoredResource, resourceType: string, location: string): Record<string, unknown> {
  const { schemas, ...attributes } = stored.data;
  return {
    schemas,
    id: stored.id,
    ...attributes,
    meta: {
      resourceType,
      created: stored.createdAt,
      lastModified: stored.updatedAt,
      location,
      version: etag(stored.version),
    },
  };
}

/** True when an If-Match / If-None-Match header value names this version (or is "*"). */
export function etagMatches(header: string, version: number): boolean {
  const current = etag(version);
  return header
    .split(",")
    .map((tag) => tag.trim())
    .some((tag) => tag === "*" || tag === current || tag === current.slice(2) || `W/${tag}` === current);
}
