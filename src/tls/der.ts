/**
 * The few DER encodings an X.509 certificate needs (ITU-T X.690), so bamboo can make its
 * default certificate without an openssl binary, which the runtime image does not carry.
 * Encoding only: certificates are read back by node:crypto. Pure.
 *
 * @module
 */

/** Universal tags used by X.509 (X.690 §8). */
const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/**
 * The length octets: short form (one byte) up to 127, long form above (0x80 | count, then
 * the length big-endian in as few bytes as it needs), as DER requires.
 *
 * @example derLength(127) // [0x7f]
 * @example derLength(128) // [0x81, 0x80]
 */
export function derLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`a DER length must be a non-negative integer, not ${length}`);
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One tag-length-value element around the concatenated `contents`. */
export function derElement(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

export function derSequence(...items: Uint8Array[]): Buffer {
  return derElement(TAG.SEQUENCE, ...items);
}

export function derSet(...items: Uint8Array[]): Buffer {
  return derElement(TAG.SET, ...items);
}

export function derBoolean(value: boolean): Buffer {
  return derElement(TAG.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

/**
 * A non-negative INTEGER from its big-endian magnitude: leading zeros dropped, and one zero
 * put back when the top bit is set, since DER integers are two's complement.
 */
export function derUnsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.length === 0 ? Buffer.from([0]) : Buffer.from(magnitude.subarray(start));
  return derElement(TAG.INTEGER, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** An OBJECT IDENTIFIER from its dotted form, e.g. "2.5.4.3" (X.690 §8.19). */
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split(".").map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`'${dotted}' is not a dotted object identifier`);
    return Number(arc);
  });
  if (arcs.length < 2 || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! > 39)) throw new RangeError(`'${dotted}' is not a valid object identifier`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    // Base 128, most significant group first, every byte but the last with its top bit set.
    const groups = [arc % 128];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest % 128) | 0x80);
    bytes.push(...groups);
  }
  return derElement(TAG.OID, Buffer.from(bytes));
}

export function derUtf8String(text: string): Buffer {
  return derElement(TAG.UTF8_STRING, Buffer.from(text, "utf8"));
}

/** IA5String is ASCII; X.509 uses it for DNS names. */
export function derIa5String(text: string, tag: number = TAG.IA5_STRING): Buffer {
  if (!/^[\x00-\x7f]*$/.test(text)) throw new RangeError(`'${text}' is not ASCII, so an IA5String cannot hold it`);
  return derElement(tag, Buffer.from(text, "latin1"));
}

/**
 * A certificate time as RFC 5280 §4.1.2.5 wants it: UTCTime (two-digit year) through 2049,
 * GeneralizedTime from 2050, always UTC to the second with a trailing Z.
 */
export function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  if (!/^\d{4}-/.test(iso)) throw new RangeError(`${iso} is outside the years a certificate can hold`);
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return derElement(TAG.UTC_TIME, Buffer.from(digits.slice(2), "latin1"));
  return derElement(TAG.GENERALIZED_TIME, Buffer.from(digits, "latin1"));
}

/** A BIT STRING of whole bytes, or with the last `unusedBits` bits of the last byte unused. */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) throw new RangeError(`${unusedBits} unused bits is not possible here`);
  return derElement(TAG.BIT_STRING, Buffer.from([unusedBits]), bytes);
}

export function derOctetString(bytes: Uint8Array): Buffer {
  return derElement(TAG.OCTET_STRING, bytes);
}

/** `[n] EXPLICIT`: a constructed context-specific tag wrapping the encoded `inner`. */
export function derExplicit(n: number, inner: Uint8Array): Buffer {
  if (n < 0 || n > 30) throw new RangeError(`context tag [${n}] needs the multi-byte form, which X.509 never uses`);
  return derElement(0xa0 | n, inner);
}

/** The `[n] IMPLICIT` tag byte for a primitive value, e.g. dNSName [2] in subjectAltName. */
export function contextPrimitiveTag(n: number): number {
  if (n < 0 || n > 30) throw new RangeError(`context tag [${n}] needs the multi-byte form, which X.509 never uses`);
  return 0x80 | n;
}
