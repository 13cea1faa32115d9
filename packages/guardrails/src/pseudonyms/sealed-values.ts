import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * The pseudonym map's keys: values are stored sealed with AES-256-GCM and found by an HMAC of the
 * value, both under keys derived from the one configured secret (32 bytes), so the database never
 * holds a value in the clear nor a hash that a dictionary could reverse without the secret.
 */
export class ValueSealer {
  readonly #sealKey: Buffer;
  readonly #hashKey: Buffer;
  /** Derives placeholders (see placeholders.ts): stable per value, unguessable without the secret. */
  readonly placeholderKey: Buffer;

  constructor(secret: Buffer) {
    if (secret.length !== 32) throw new Error(`the pseudonym key must be 32 bytes, got ${secret.length}`);
    const derive = (label: string) => createHmac('sha256', secret).update(label).digest();
    this.#sealKey = derive('gantry pseudonyms: seal');
    this.#hashKey = derive('gantry pseudonyms: find');
    this.placeholderKey = derive('gantry pseudonyms: placeholder');
  }

  /** The keyed hash a value is found by. */
  hash(detector: string, value: string): string {
    return createHmac('sha256', this.#hashKey).update(`${detector}\0${value}`).digest('base64url');
  }

  /** `base64(iv ‖ tag ‖ ciphertext)`. */
  seal(value: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#sealKey, iv);
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** The value, or an error when the row was sealed under another key or altered. */
  open(sealed: string): string {
    const bytes = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#sealKey, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  }
}
