// Recognising D1/SQLite failures that mean something to a client. Drizzle wraps the D1 error, so the
// whole cause chain is searched.
function messages(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" | ");
}

export function isUniqueViolation(error: unknown, index: string): boolean {
  const text = messages(error);
  return text.includes("UNIQUE constraint failed") && text.includes(index);
}

export function isGuardFailure(error: unknown): boolean {
  return messages(error).includes("NOT NULL constraint failed: write_guard.must_change");
}
