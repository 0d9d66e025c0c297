/**
 * What the Linux process file system says about listening sockets and processes, read from a
 * proc root that tests can replace with a folder of their own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A TCP socket in the LISTEN state. */
export interface Listener {
  address: string;
  port: number;
  family: 4 | 6;
}

const LISTEN_STATE = '0A';

/** `0100007F` → `127.0.0.1`: the kernel prints each 32-bit word in host (little-endian) order. */
function decodeIpv4(hex: string): string {
  const bytes = Buffer.from(hex, 'hex').reverse();

  return [...bytes].join('.');
}

/** Four little-endian words of `/proc/net/tcp6` → an IPv6 address, `::ffff:` forms as IPv4. */
function decodeIpv6(hex: string): string {
  const bytes = Buffer.concat(
    [0, 8, 16, 24].map((start) => Buffer.from(hex.slice(start, start + 8), 'hex').reverse()),
  );
  if (
    bytes.subarray(0, 10).every((byte) => byte === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff
  ) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  const groups = Array.from({ length: 8 }, (_, index) =>
    bytes.readUInt16BE(index * 2).toString(16),
  );

  return compressIpv6(groups);
}

/** Writes the longest run of two or more zero groups as `::`. */
function compressIpv6(groups: string[]): string {
  let best = { start: -1, length: 0 };
  for (let start = 0; start < groups.length; start += 1) {
    let length = 0;
    while (groups[start + length] === '0') length += 1;
    if (length > best.length) best = { start, length };
  }
  if (best.length < 2) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');

  return `${head}::${tail}`;
}

/** The listening sockets of one `/proc/net/tcp` or `/proc/net/tcp6` text. */
export function parseProcNetTcp(text: string, family: 4 | 6): Listener[] {
  const listeners: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || fields[3] !== LISTEN_STATE) continue;
    const [addressHex, portHex] = fields[1]!.split(':');
    if (!addressHex || !portHex) continue;
    const address = family === 4 ? decodeIpv4(addressHex) : decodeIpv6(addressHex);
    listeners.push({ address, port: parseInt(portHex, 16), family });
  }

  return listeners;
}

/** Every listening TCP socket of the network namespace, IPv4 and IPv6. */
export function readListeners(procRoot: string): Listener[] {
  const read = (name: string) => {
    try {
      return readFileSync(join(procRoot, 'net', name), 'utf8');
    } catch {
      return '';
    }
  };

  return [...parseProcNetTcp(read('tcp'), 4), ...parseProcNetTcp(read('tcp6'), 6)];
}

/** True for 127.0.0.0/8, `::1` and IPv4-mapped loopback. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** One process as `/proc/<pid>/stat` describes it. */
export interface ProcessInfo {
  pid: number;
  state: string;
  ppid: number;
}

/** Parses `/proc/<pid>/stat`; the command name in parentheses may itself contain spaces. */
export function parseProcStat(text: string): ProcessInfo | null {
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const rest = text.slice(close + 2).split(' ');

  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]) };
}

/** Every process visible in the proc root. */
export function listProcesses(procRoot: string): ProcessInfo[] {
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return [];
  }

  return names
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const info = parseProcStat(readFileSync(join(procRoot, name, 'stat'), 'utf8'));
        return info ? [info] : [];
      } catch {
        return [];
      }
    });
}
