// Rows travel from a store to the core as JSON text: a store's pages are checked at their ends
// and joined, never parsed in the Worker, where parsing them again would cost the CPU the
// rules need.

/** Whether a text has a JSON array's brackets at its ends; what is between is not read. */
export function isJsonArrayText(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.startsWith("[") && trimmed.endsWith("]");
}

// Arrays' texts as one array's, without parsing them; null if one is no array. A page cut
// short mostly ends inside a row and is caught here; the core's parse refuses the rest.
export function joinedArrays(texts: readonly string[]): string | null {
  const items: string[] = [];
  for (const text of texts) {
    if (!isJsonArrayText(text)) return null;
    const inner = text.trim().slice(1, -1);
    if (inner.trim() !== "") items.push(inner);
  }
  return `[${items.join(",")}]`;
}
