// 阳光采购账本: signing requests in the browser with an actor's registered key file, as
// `sunshine submit` signs them: Ed25519 (WebCrypto) over the RFC 8785 canonical JSON of the
// command. Used by the inspector's sign-in (sign-in.js), the sealed-value reader
// (sealed-read.js) and the workbench (workbench.js), which also generates keys. A key is
// held non-extractable; only signatures and public keys leave the page.

const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const fromB64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const fromB64url = (text) => fromB64(text.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - text.length % 4) % 4));
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** A refusal to show as it is: its message is a Chinese sentence for the page. */
export class SigningError extends Error {}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** RFC 8785 (JCS) canonical JSON, the bytes `sunshine submit` and the ledger sign and check:
 * numbers as ECMAScript writes them (Number.prototype.toString, -0 as 0), strings escaped as
 * JSON.stringify escapes them, object keys sorted by UTF-16 code units, no whitespace. What
 * JSON cannot carry unchanged is refused rather than altered as JSON.stringify would alter
 * it (NaN and Infinity to null, a lone surrogate to an escape the ledger refuses, undefined
 * in an array to null). A member whose value is undefined is left out, as JSON.stringify
 * leaves it out of the body sent: the signed bytes and the posted ones stay the same. */
export const canonical = (value) => {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new SigningError("请求中有无效的数值（非有限数），无法签名。");
      return JSON.stringify(value);
    case "string":
      if (LONE_SURROGATE.test(value)) throw new SigningError("请求的文字中有无效的 Unicode 字符（孤立的代理项），无法签名。");
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return "[" + Array.from(value, (item) => canonical(item)).join(",") + "]";
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) break;  // a Date, a Map…: no JSON of its own
      const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
      return "{" + keys.map((k) => canonical(k) + ":" + canonical(value[k])).join(",") + "}";
    }
  }
  throw new SigningError("请求中有无法写成 JSON 的值，无法签名。");
};

/** The ledger takes integers within ±(2^53 − 1) in a command and nothing else numeric
 * (amounts are strings: ledger/canonical.py); refuse here what it would refuse there. */
const integersOnly = (value) => {
  if (typeof value === "number" && !(Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER)) {
    throw new SigningError("命令中的数值只能是绝对值不超过 9007199254740991 的整数；金额请按文字填写。");
  }
  if (value !== null && typeof value === "object") Object.values(value).forEach(integersOnly);
};

/* A key read from a PEM file (PKCS#8 Ed25519) is kept non-extractable, so no script can
 * export it from the page. */
const needCrypto = () => {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new SigningError("此浏览器不支持 Web Crypto（Ed25519 签名），请改用命令行。");
  }
};

/** The ledger's name for a public key: the first 8 bytes of its SHA-256, in hex. */
const keyIdOf = async (publicKey) => hex(new Uint8Array(await crypto.subtle.digest("SHA-256", publicKey)).slice(0, 8));

/** The signing key in a PEM file: `{key, keyId, publicKey}` (the public key in base64, as
 * RegisterKey takes it). */
export async function readKey(file) {
  needCrypto();
  if (!file) throw new SigningError("请先选择签名密钥文件（PEM）。");
  const pem = await file.text();
  let der, exportable;
  try {
    der = fromB64(pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, ""));
    exportable = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
  } catch (e) {
    throw new SigningError("无法读取密钥文件：须为 PKCS#8 格式的 Ed25519 私钥（PEM）。");
  }
  const publicKey = fromB64url((await crypto.subtle.exportKey("jwk", exportable)).x);
  const key = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
  return { key, keyId: await keyIdOf(publicKey), publicKey: b64(publicKey) };
}

/** A new key pair made in this browser: `{key, keyId, publicKey}`, the private key
 * non-extractable from its birth, so it exists nowhere but here. */
export async function generateKey() {
  needCrypto();
  let pair;
  try {
    pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  } catch (e) {
    throw new SigningError("此浏览器无法生成 Ed25519 密钥，请改用密钥文件。");
  }
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { key: pair.privateKey, keyId: await keyIdOf(publicKey), publicKey: b64(publicKey) };
}

/** The body of a signed request: `{command, signature}` for a command of `type` by `actor`,
 * signed now with a fresh nonce (the ledger accepts each nonce once, for 5 minutes), with
 * `sealed` (each commitment's value and salt) beside it when the payload seals values. */
export async function signedBody(signer, actor, type, procurement, payload, sealed = null) {
  const nonce = b64(crypto.getRandomValues(new Uint8Array(18))).replace(/\+/g, "-").replace(/\//g, "_");
  const command = {
    type, procurement, payload, actor, key: signer.keyId,
    issued_at: new Date().toISOString(), nonce,
  };
  integersOnly(command);
  const signed = await crypto.subtle.sign({ name: "Ed25519" }, signer.key, new TextEncoder().encode(canonical(command)));
  const body = { command, signature: b64(new Uint8Array(signed)) };
  if (sealed && Object.keys(sealed).length) body.sealed = sealed;
  return JSON.stringify(body);
}

/** A value sealed here: `{commitment, salt}`, the commitment SHA-256(salt ‖ JCS(value)) in
 * standard base64 with a fresh 32-byte salt, as the ledger checks it (ledger/domain/sealed.py). */
export async function seal(value) {
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const text = new TextEncoder().encode(canonical(value));
  const joined = new Uint8Array(salt.length + text.length);
  joined.set(salt);
  joined.set(text, salt.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
  return { commitment: b64(digest), salt: b64(salt) };
}
