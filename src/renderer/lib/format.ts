/** How the pages write times, sizes and exits. */

/** `3h 12m`, `5m 3s`, `40s`, `2d 4h`: the age of something that started at `since`. */
export function formatDuration(sinceIso: string | null, now: Date): string {
  if (!sinceIso) return '—';
  const total = Math.max(0, Math.floor((now.getTime() - Date.parse(sinceIso)) / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds}s`;

  return `${seconds}s`;
}

/** `16 GiB`, `512 MiB`. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

  return `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** A local date and time for an ISO timestamp. */
export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);

  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** `exit 1 at …`, `signal SIGKILL at …`, or `—`. */
export function formatExit(
  exit: { code: number | null; signal: string | null; at: string } | null,
): string {
  if (!exit) return '—';
  const how = exit.signal ? `signal ${exit.signal}` : `exit ${exit.code ?? '?'}`;

  return `${how} at ${formatTime(exit.at)}`;
}
