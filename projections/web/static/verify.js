// 阳光采购账本: verify one log entry in the browser (no external code, no build step).
//
// For each verify panel (templates/verify_panel.html) the "验证" button:
//   1. fetches the log's verifier key, the latest signed checkpoint and the leaf bytes;
//   2. checks the key id against the key, the checkpoint's Ed25519 signature (C2SP
//      signed-note) and that the checkpoint's origin is the key's name;
//   3. hashes the leaf (SHA-256 of 0x00 ‖ leaf) and compares it with the hash shown;
//   4. folds the inclusion proof up to a root (RFC 9162 §2.1.3.2) and compares it with the
//      checkpoint's root;
//   5. compares every [data-leaf="key"] element's text with the leaf's data[key].
// Green ("ok") only when every step passes; otherwise red ("bad") naming the first failure.
// Messages are written with textContent only: nothing fetched is ever parsed as HTML.
"use strict";

(() => {
  const encoder = new TextEncoder();

  // A failure to show the reader; anything else thrown is a bug or a network problem.
  class Failure extends Error {}
  const fail = (message) => {
    throw new Failure(message);
  };

  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

  const b64encode = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
  const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
  // Standard, padded and canonical base64 only: one spelling per value, as the log writes it.
  const b64decode = (text, what) => {
    if (typeof text !== "string" || !B64.test(text)) fail(`${what}不是有效的 base64 编码`);
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    if (b64encode(bytes) !== text) fail(`${what}的 base64 编码不规范`);
    return bytes;
  };
  const utf8 = (bytes, what) => {
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return fail(`${what}不是有效的 UTF-8 文本`);
    }
  };

  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const leafHash = (leaf) => sha256(concat(Uint8Array.of(0), leaf));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  async function get(url, what) {
    let response;
    try {
      // The checkpoint moves; the rest is checked anyway, so caches can't mislead.
      response = await fetch(url, { cache: "no-store", credentials: "omit" });
    } catch {
      fail(`无法取得${what}（网络错误）`);
    }
    if (!response.ok) fail(`无法取得${what}（HTTP ${response.status}）`);
    return new Uint8Array(await response.arrayBuffer());
  }

  // `<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte Ed25519 key)>`; names never hold "+",
  // base64 may, so split on the first two only.
  async function parseVerifierKey(text) {
    const first = text.indexOf("+");
    const second = text.indexOf("+", first + 1);
    if (first <= 0 || second < 0) fail("日志公钥格式错误（应为 名称+编号+公钥）");
    const name = text.slice(0, first);
    const keyId = text.slice(first + 1, second);
    if (/\s/.test(name)) fail("日志公钥的名称含有空白字符");
    if (!/^[0-9a-f]{8}$/.test(keyId)) fail("日志公钥的编号应为 8 位十六进制数");
    const raw = b64decode(text.slice(second + 1), "日志公钥");
    if (raw.length !== 33 || raw[0] !== 0x01) fail("日志公钥不是 Ed25519 公钥");
    const publicKey = raw.slice(1);
    // Key id = SHA-256(name ‖ "\n" ‖ 0x01 ‖ key)[:4] (C2SP signed-note).
    const id = (await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a, 0x01), publicKey)))
      .slice(0, 4);
    if (hex(id) !== keyId) fail("日志公钥的编号与公钥不符");
    let key;
    try {
      key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    } catch {
      fail("此浏览器不支持 Ed25519 签名验证；请下载证明包，用 sunshine verify --bundle 核验");
    }
    return { name, id, key, text: `${name}+${keyId}` };
  }

  // C2SP signed-note: text, a blank line, then "— <name> <base64(key id ‖ signature)>" lines.
  // Lines of other keys (witnesses) are skipped; a bad signature by our key fails outright.
  async function openNote(note, verifier) {
    if (!note.endsWith("\n")) fail("检查点格式错误：不以换行结尾");
    const split = note.lastIndexOf("\n\n");
    if (split < 0) fail("检查点没有签名");
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2, -1).split("\n");
    let signed = false;
    for (const line of lines) {
      if (!line.startsWith("\u2014 ")) fail("检查点的签名行格式错误");
      const rest = line.slice(2);
      const space = rest.indexOf(" ");
      if (space <= 0) fail("检查点的签名行格式错误");
      if (rest.slice(0, space) !== verifier.name) continue;
      const raw = b64decode(rest.slice(space + 1), "检查点签名");
      if (raw.length < 5 || !equal(raw.slice(0, 4), verifier.id)) continue;
      const good = raw.length === 68 && (await crypto.subtle.verify(
        { name: "Ed25519" }, verifier.key, raw.slice(4), encoder.encode(text)));
      if (!good) fail(`检查点的签名无效（密钥 ${verifier.text}）`);
      signed = true;
    }
    if (!signed) fail(`检查点未经日志密钥 ${verifier.text} 签名`);
    return text;
  }

  // C2SP tlog-checkpoint body: origin, decimal size, base64 root, optional extension lines.
  function parseCheckpoint(text, origin) {
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3) fail("检查点格式错误：缺少来源、树大小或根哈希");
    const [name, sizeText, rootText] = lines;
    if (name !== origin) fail(`检查点属于日志“${name}”，而不是“${origin}”`);
    const size = Number(sizeText);
    if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(size)) {
      fail("检查点的树大小格式错误");
    }
    const root = b64decode(rootText, "检查点根哈希");
    if (root.length !== 32) fail("检查点根哈希不是 32 字节");
    return { origin: name, size, root };
  }

  // RFC 9162 §2.1.3.2. BigInt, since bit operations on Numbers stop at 2**31.
  async function rootFromInclusion(hash, index, size, proof) {
    let fn = BigInt(index);
    let sn = BigInt(size - 1);
    let r = hash;
    for (const p of proof) {
      if (sn === 0n) fail("包含证明过长");
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    if (sn !== 0n) fail("包含证明过短");
    return r;
  }

  function parseProof(bytes, index, size) {
    let answer;
    try {
      answer = JSON.parse(utf8(bytes, "包含证明"));
    } catch (error) {
      if (error instanceof Failure) throw error;
      fail("包含证明不是 JSON");
    }
    if (answer === null || answer.index !== index || answer.size !== size) {
      fail("服务器返回的包含证明不是针对本条目与本检查点的");
    }
    if (!Array.isArray(answer.proof) || answer.proof.length > 64) fail("包含证明格式错误");
    return answer.proof.map((p, n) => {
      const h = b64decode(p, `包含证明第 ${n + 1} 项`);
      if (h.length !== 32) fail(`包含证明第 ${n + 1} 项不是 32 字节`);
      return h;
    });
  }

  function parseLeaf(bytes, index) {
    let entry;
    try {
      entry = JSON.parse(utf8(bytes, "日志条目"));
    } catch (error) {
      if (error instanceof Failure) throw error;
      fail("日志条目不是 JSON");
    }
    if (entry === null || typeof entry !== "object" || entry.index !== index) {
      fail(`日志条目没有声明自己是第 ${index} 条`);
    }
    if (entry.data === null || typeof entry.data !== "object" || Array.isArray(entry.data)) {
      fail("日志条目没有 data 对象");
    }
    return entry;
  }

  // The shown texts must be the leaf's own strings, character for character.
  function compareTexts(panel, data) {
    const scope = panel.closest("[data-leaf-scope]") || document;
    const shown = scope.querySelectorAll("[data-leaf]");
    for (const element of shown) {
      const key = element.dataset.leaf;
      const label = element.dataset.leafLabel;
      const field = label && label !== key ? `“${label}”（${key}）` : `“${key}”`;
      if (!Object.prototype.hasOwnProperty.call(data, key)) {
        fail(`页面字段${field}在日志条目中不存在`);
      }
      if (typeof data[key] !== "string") fail(`页面字段${field}在日志条目中不是文字`);
      if (element.textContent !== data[key]) {
        fail(`页面上的${field}与日志条目中的原文不一致`);
      }
    }
    return shown.length;
  }

  function shownIndex(panel) {
    const text = panel.querySelector('[data-verify="index"]').textContent.trim();
    const index = Number(text);
    if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(index)) {
      fail("页面上的日志序号格式错误");
    }
    return index;
  }

  async function verify(panel) {
    if (!globalThis.crypto || !crypto.subtle) {
      fail("此浏览器或连接（非 HTTPS）不提供 WebCrypto；请下载证明包，用 sunshine verify --bundle 核验");
    }
    const base = panel.dataset.log || "/log";
    const index = shownIndex(panel);
    const shownHash = panel.querySelector('[data-verify="leaf-hash"]').textContent.trim();
    const [keyBytes, noteBytes, leaf] = await Promise.all([
      get(`${base}/key`, "日志公钥"),
      get(`${base}/checkpoint`, "签名检查点"),
      get(`${base}/entries/${index}`, "日志条目"),
    ]);
    const verifier = await parseVerifierKey(utf8(keyBytes, "日志公钥").trim());
    const checkpoint = parseCheckpoint(
      await openNote(utf8(noteBytes, "签名检查点"), verifier), verifier.name);
    if (index >= checkpoint.size) {
      fail(`第 ${index} 条尚未纳入最新的签名检查点（树大小 ${checkpoint.size}），请稍后再试`);
    }
    const hash = await leafHash(leaf);
    if (b64encode(hash) !== shownHash) {
      fail(`页面显示的条目哈希与日志第 ${index} 条的实际哈希（${b64encode(hash)}）不符`);
    }
    const proof = parseProof(
      await get(`${base}/proof/inclusion?index=${index}&size=${checkpoint.size}`, "包含证明"),
      index, checkpoint.size);
    const root = await rootFromInclusion(hash, index, checkpoint.size, proof);
    if (!equal(root, checkpoint.root)) {
      fail("条目经包含证明算出的根哈希与签名检查点的根哈希不符");
    }
    const entry = parseLeaf(leaf, index);
    const texts = compareTexts(panel, entry.data);
    return (
      `验证通过：第 ${index} 条（${entry.type}）包含在日志 ${checkpoint.origin} ` +
      `经签名的检查点中（树大小 ${checkpoint.size}，根哈希 ${b64encode(checkpoint.root)}，` +
      `签名密钥 ${verifier.text}）；页面上 ${texts} 处文字与条目原文一致。`
    );
  }

  function show(panel, result, state, message) {
    for (const element of [panel, result]) {
      element.classList.remove("ok", "bad", "pending");
      element.classList.add(state);
    }
    result.textContent = message;
  }

  function bind(panel) {
    const button = panel.querySelector('[data-verify="button"]');
    const result = panel.querySelector('[data-verify="result"]');
    if (!button || !result || panel.dataset.verifyBound) return;
    panel.dataset.verifyBound = "1";
    button.hidden = false;
    let busy = false;
    button.addEventListener("click", async () => {
      if (busy) return;
      // aria-disabled, not disabled: a disabled button drops keyboard focus.
      busy = true;
      button.setAttribute("aria-disabled", "true");
      panel.setAttribute("aria-busy", "true");
      show(panel, result, "pending", "正在验证…");
      try {
        show(panel, result, "ok", await verify(panel));
      } catch (error) {
        const reason = error instanceof Failure ? error.message : `出现意外错误（${error}）`;
        show(panel, result, "bad", `验证失败：${reason}`);
      } finally {
        panel.removeAttribute("aria-busy");
        button.removeAttribute("aria-disabled");
        busy = false;
      }
    });
  }

  const start = () => document.querySelectorAll("[data-verify-panel]").forEach(bind);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
