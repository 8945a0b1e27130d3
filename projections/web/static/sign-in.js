// 阳光采购账本: inspector sign-in (templates/supervision/sign_in.html). The key file is read
// and used in this browser only: it signs the server's one-time challenge, and only the
// signature is sent.
"use strict";
(() => {
  const form = document.getElementById("sign-in");
  const status = document.getElementById("sign-in-status");
  const say = (text) => { status.textContent = text; };
  const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const fromB64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const fromB64url = (text) => fromB64(text.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - text.length % 4) % 4));
  // RFC 8785 for what a SignIn holds: ASCII strings, null and objects, keys sorted.
  const canonical = (value) => {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      if (!globalThis.crypto || !crypto.subtle) throw new Error("此浏览器不支持 Web Crypto，请改用命令行登录。");
      const pem = await form.elements.key.files[0].text();
      const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
      let key;
      try {
        key = await crypto.subtle.importKey("pkcs8", fromB64(body), { name: "Ed25519" }, true, ["sign"]);
      } catch (e) {
        throw new Error("无法读取密钥文件：须为 PKCS#8 格式的 Ed25519 私钥（PEM）。");
      }
      const publicKey = fromB64url((await crypto.subtle.exportKey("jwk", key)).x);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", publicKey));
      const keyId = Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
      const got = await fetch("/supervision/challenge", { headers: { Accept: "application/json" } });
      if (!got.ok) throw new Error("无法取得挑战码，请稍后再试。");
      const { challenge } = await got.json();
      const nonce = b64(crypto.getRandomValues(new Uint8Array(18))).replace(/\+/g, "-").replace(/\//g, "_");
      const command = {
        type: "SignIn", procurement: null, payload: { challenge },
        actor: form.elements.actor.value.trim(), key: keyId,
        issued_at: new Date().toISOString(), nonce,
      };
      const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, new TextEncoder().encode(canonical(command))));
      say("正在登录……");
      const answer = await fetch("/supervision/session", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ command, signature: b64(signature) }),
      });
      if (!answer.ok) {
        const refusal = await answer.json().catch(() => ({}));
        throw new Error(refusal.message_zh || "登录被拒绝：" + (refusal.message || answer.status));
      }
      location.assign("/supervision");
    } catch (error) {
      say(error.message);
    }
  });
})();
