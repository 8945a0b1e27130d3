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

/** RFC 8785 for what a request holds (strings, integers, booleans, null, arrays and
 * objects): JavaScript's own serialisation of scalars, object keys sorted by UTF-16 code
 * units, no whitespace. */
export const canonical = (value) => {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
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
 * signed now with a fresh nonce (the ledger accepts each nonce once, for 5 minutes). */
export async function signedBody(signer, actor, type, procurement, payload) {
  const nonce = b64(crypto.getRandomValues(new Uint8Array(18))).replace(/\+/g, "-").replace(/\//g, "_");
  const command = {
    type, procurement, payload, actor, key: signer.keyId,
    issued_at: new Date().toISOString(), nonce,
  };
  const signed = await crypto.subtle.sign({ name: "Ed25519" }, signer.key, new TextEncoder().encode(canonical(command)));
  return JSON.stringify({ command, signature: b64(new Uint8Array(signed)) });
}
