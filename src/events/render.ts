// An event as applications receive it, from the events API and as a webhook body alike: the stored body with
// its per-tenant number as `id` (a string) in front.
export function renderEvent(eventId: number, body: string): Record<string, unknown> {
  return { id: String(eventId), ...(JSON.parse(body) as Record<string, unknown>) };
}
