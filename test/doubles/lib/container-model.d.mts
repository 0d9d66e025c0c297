// Types of the parts of container-model.mjs that the typed control module uses.

/** `alpine` → `docker.io/library/alpine:latest`. */
export function normalizeReference(ref: string): string;
/** A new image record for the state. */
export function createImageRecord(
  reference: string,
  config: object,
  options?: { local?: boolean; created?: string },
): object;
