// 阳光采购账本: verify one log entry in the browser (no external code, no build step).
//
// For each verify panel (templates/verify_panel.html) the "验证" button:
//   1. fetches the log's verifier key, the latest signed checkpoint and the leaf bytes;
//   2. checks the key id against the key, the checkpoint's Ed25519 signature (C2SP
//      signed-note) and that the checkpoint's origin is the key's name;
//   3. when the log names witnesses (<log>/witness-policy), checks their cosignatures
//      (C2SP tlog-cosignature/v1) and the policy's quorum;
//   4. compares the checkpoint with the last one this browser verified for the same log
//      (localStorage): a smaller tree is a rollback, another root of the same size a fork,
//      and a larger tree must come with a consistency proof from it (RFC 9162 §2.1.4.2);
//   5. hashes the leaf (SHA-256 of 0x00 ‖ leaf) and compares it with the hash shown;
//   6. folds the inclusion proof up to a root (RFC 9162 §2.1.3.2) and compares it with the
//      checkpoint's root;
//   7. for every element of the page marked data-leaf="<path>" data-format="<format>"
//      (written by projections/web/shown.py), formats the leaf's data at that path with the
//      same format and compares it with the text shown;
//   8. for every attached document (data-document, templates/_documents.html): checks that
//      the name and digest shown are the leaf's, downloads the file, hashes it (SHA-256)
//      and compares with the digest the signed entry records.
// Green ("ok") only when every step passes and the witnesses' quorum, if any, is met;
// amber ("amber") when all passes but the quorum, naming the witnesses missing; otherwise
// red ("bad") naming the first failure. Only a green checkpoint is remembered.
// Messages are written with textContent only: nothing fetched is ever parsed as HTML.
"use strict";

(() => {
  const encoder = new TextEncoder();
  // The formats (static/formats.js, loaded first) and their labels sit beside this script
  // (static/vocabulary.json), not in the page they check.
  const formats = globalThis.SunshineFormats;
  const VOCABULARY_URL = new URL("vocabulary.json", document.currentScript?.src || location.href);

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
  // What the reader is told: log entries (日志条目) and checkpoints (检查点), never the
  // tree's vocabulary or the entry's English type.
  const entries = (n) => `${n} 条日志条目`;
  const entryLabel = (type, vocabulary) => {
    const table = vocabulary.entry || {};
    return Object.prototype.hasOwnProperty.call(table, type) ? table[type] : "日志记录";
  };
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
    return { text, lines };
  }

  // C2SP tlog-checkpoint body: origin, decimal size, base64 root, optional extension lines.
  function parseCheckpoint(text, origin) {
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3) fail("检查点格式错误：缺少日志名称、所含日志条目数或其摘要");
    const [name, sizeText, rootText] = lines;
    if (name !== origin) fail(`检查点属于日志“${name}”，而不是“${origin}”`);
    const size = Number(sizeText);
    if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(size)) {
      fail("检查点所含日志条目数的格式错误");
    }
    const root = b64decode(rootText, "检查点摘要");
    if (root.length !== 32) fail("检查点摘要不是 32 字节");
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

  // -- what the page shows of the entry (projections/web/shown.py) ---------------------

  async function loadVocabulary() {
    let vocabulary;
    try {
      vocabulary = JSON.parse(utf8(await get(VOCABULARY_URL.href, "术语表"), "术语表"));
    } catch (error) {
      if (error instanceof Failure) throw error;
      fail("术语表不是 JSON");
    }
    for (const kind of ["category", "method", "announcement"]) {
      const table = vocabulary?.[kind];
      if (table === null || typeof table !== "object" ||
          !Object.values(table).every((v) => typeof v === "string")) {
        fail("术语表格式错误");
      }
    }
    return vocabulary;
  }

  // The value at a dotted path of the entry's data; `missing` when it is not there.
  const missing = Symbol("missing");
  function lookup(data, path) {
    let value = data;
    for (const key of path.split(".")) {
      if (Array.isArray(value)) {
        // A decimal step indexes a list (committee.value.0.name), as shown.py's lookup.
        if (!/^(0|[1-9][0-9]{0,5})$/.test(key) || Number(key) >= value.length) return missing;
        value = value[Number(key)];
        continue;
      }
      if (value === null || typeof value !== "object" ||
          !Object.prototype.hasOwnProperty.call(value, key)) return missing;
      value = value[key];
    }
    return value;
  }

  // Every value shown from the entry must read exactly as the leaf's value, formatted.
  function compareShown(panel, data, vocabulary) {
    const scope = panel.closest("[data-leaf-scope]") || document;
    const shown = scope.querySelectorAll("[data-leaf]");
    for (const element of shown) {
      const path = element.dataset.leaf;
      const format = element.dataset.format || "text";
      const name = element.dataset.leafLabel;
      const field = name && name !== path ? `“${name}”（${path}）` : `“${path}”`;
      const value = lookup(data, path);
      if (value === missing) fail(`页面字段${field}在日志条目中不存在`);
      let same;
      try {
        if (format === "list") {
          if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
            fail("不是文字的列表");
          }
          const items = Array.from(element.children);
          same = items.length === value.length && items.every(
            (item, n) => item.tagName === "LI" && item.textContent === value[n]);
          same = same && element.textContent === value.join("");
        } else {
          same = element.textContent === formats.format(format, value, vocabulary);
        }
      } catch (error) {
        fail(`页面字段${field}：${error.message}`);
      }
      if (!same) fail(`页面上的${field}与日志条目中的原文不一致`);
    }
    // Organisations are shown by their registered names (not in the entry): the page must
    // mean the organisation the entry records, its code in data-organisation.
    const named = scope.querySelectorAll("[data-leaf-organisation]");
    for (const element of named) {
      const path = element.dataset.leafOrganisation;
      const name = element.dataset.leafLabel;
      const field = name && name !== path ? `“${name}”（${path}）` : `“${path}”`;
      const value = lookup(data, path);
      if (value === missing) fail(`页面上的单位${field}在日志条目中不存在`);
      if (typeof value !== "string" || value !== element.dataset.organisation) {
        fail(`页面上的单位${field}不是日志条目所记的单位`);
      }
    }
    return { texts: shown.length, organisations: named.length };
  }

  // Every attached document the page lists: shown as the entry records it, and the file
  // served hashes to the recorded SHA-256. Each is marked as it is checked.
  async function checkDocuments(panel, data) {
    const scope = panel.closest("[data-leaf-scope]") || document;
    const listed = scope.querySelectorAll("[data-document]");
    let checked = 0;
    for (const item of listed) {
      const mark = item.querySelector("[data-document-result]");
      const say = (state, text) => {
        if (!mark) return;
        mark.classList.remove("ok", "bad");
        mark.classList.add(state);
        mark.textContent = text;
      };
      const doc = lookup(data, item.dataset.documentPath || "");
      if (doc === missing || doc === null || typeof doc !== "object" ||
          typeof doc.name !== "string" || typeof doc.sha256 !== "string" ||
          !Number.isSafeInteger(doc.size)) {
        fail(`页面列出的附件（${item.dataset.documentPath}）在日志条目中不存在`);
      }
      const expected = b64decode(doc.sha256, `附件“${doc.name}”的摘要`);
      if (expected.length !== 32) fail(`附件“${doc.name}”的摘要不是 32 字节`);
      const link = item.querySelector("[data-document-link]");
      const digest = item.querySelector("[data-document-digest]");
      if (!link || link.textContent !== doc.name) {
        fail(`页面上的附件名称“${link ? link.textContent : ""}”与日志条目所记“${doc.name}”不一致`);
      }
      if (!digest || digest.textContent !== hex(expected)) {
        fail(`页面上附件“${doc.name}”的摘要与日志条目所记不一致`);
      }
      const bytes = await get(link.href, `附件“${doc.name}”`);
      const actual = await sha256(bytes);
      if (bytes.length !== doc.size || !equal(actual, expected)) {
        say("bad", "✗ 与日志条目所记摘要不符");
        fail(`附件“${doc.name}”下载所得文件的 SHA-256（${hex(actual)}）与日志条目所记` +
          `（${hex(expected)}）不符：文件已被改动或替换，不是经签名记录的那一份`);
      }
      say("ok", "✓ 与日志条目所记摘要一致");
      checked += 1;
    }
    return checked;
  }

  function shownIndex(panel) {
    const text = panel.querySelector('[data-verify="index"]').textContent.trim();
    const index = Number(text);
    if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(index)) {
      fail("页面上的日志序号格式错误");
    }
    return index;
  }

  // -- witnesses (C2SP tlog-cosignature/v1, the policy of /work/notes: k of n, groups) ------

  // `<name>+<8 hex id>+<base64(type ‖ 32-byte key)>`, id = SHA-256(name ‖ "\n" ‖ type ‖ key)[:4];
  // type 0x04 (cosignature/v1), or 0x01 (a note key of the same Ed25519 key), whose
  // cosignature key id is then derived with 0x04, as transparency-dev/formats does.
  async function parseWitnessKey(textKey) {
    const first = textKey.indexOf("+");
    const second = textKey.indexOf("+", first + 1);
    if (first <= 0 || second < 0) fail("见证策略中的公钥格式错误");
    const name = textKey.slice(0, first);
    const keyId = textKey.slice(first + 1, second);
    if (!/^[0-9a-f]{8}$/.test(keyId)) fail("见证策略中的公钥编号应为 8 位十六进制数");
    const raw = b64decode(textKey.slice(second + 1), "见证公钥");
    if (raw.length !== 33 || (raw[0] !== 0x04 && raw[0] !== 0x01)) {
      fail(`见证策略中的公钥 ${name} 不是 Ed25519 公钥`);
    }
    const publicKey = raw.slice(1);
    const idOf = async (type) =>
      (await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a, type), publicKey))).slice(0, 4);
    if (hex(await idOf(raw[0])) !== keyId) fail(`见证策略中公钥 ${name} 的编号与公钥不符`);
    return { name, id: await idOf(0x04), publicKey, text: `${name}+${keyId}` };
  }

  // `log VKEY [URL]`, `witness NAME VKEY [URL]`, `group NAME all|any|K MEMBER…`, `quorum NAME`.
  async function parsePolicy(policyText) {
    const policy = { log: null, witnesses: new Map(), groups: new Map(), quorum: null };
    const defined = (name) => policy.witnesses.has(name) || policy.groups.has(name);
    for (const raw of policyText.split("\n")) {
      const line = raw.replace(/#.*/, "").trim();
      if (line === "") continue;
      const [keyword, ...args] = line.split(/[ \t]+/);
      if (keyword === "log" && args.length >= 1 && args.length <= 2 && policy.log === null) {
        policy.log = args[0];
      } else if (keyword === "witness" && args.length >= 2 && args.length <= 3) {
        if (defined(args[0])) fail(`见证策略重复定义“${args[0]}”`);
        policy.witnesses.set(args[0], await parseWitnessKey(args[1]));
      } else if (keyword === "group" && args.length >= 3) {
        const [name, rule, ...members] = args;
        if (defined(name)) fail(`见证策略重复定义“${name}”`);
        if (new Set(members).size !== members.length) fail(`见证组“${name}”的成员重复`);
        for (const member of members) {
          if (!defined(member)) fail(`见证组“${name}”的成员“${member}”未先定义`);
        }
        const k = rule === "all" ? members.length : rule === "any" ? 1 :
          /^[1-9][0-9]*$/.test(rule) ? Number(rule) : NaN;
        if (!(k >= 1 && k <= members.length)) fail(`见证组“${name}”的门限“${rule}”无效`);
        policy.groups.set(name, { k, members });
      } else if (keyword === "quorum" && args.length === 1 && policy.quorum === null) {
        if (args[0] !== "none" && !defined(args[0])) fail(`见证法定数“${args[0]}”未定义`);
        policy.quorum = args[0];
      } else {
        fail(`见证策略有无法识别的一行：“${line}”`);
      }
    }
    if (policy.quorum === null) fail("见证策略没有 quorum 行");
    return policy;
  }

  // The witnesses whose cosignature on this checkpoint verifies; a matching line that does
  // not verify is a forgery and fails outright.
  async function cosigners(policy, note) {
    const signed = new Set();
    const latest = BigInt(Math.floor(Date.now() / 1000) + 600);
    for (const [name, witness] of policy.witnesses) {
      for (const line of note.lines) {
        const rest = line.slice(2);
        const space = rest.indexOf(" ");
        if (rest.slice(0, space) !== witness.name) continue;
        const raw = b64decode(rest.slice(space + 1), "见证签名");
        if (raw.length < 4 || !equal(raw.slice(0, 4), witness.id)) continue;
        if (raw.length !== 76) fail(`见证“${name}”的联署格式错误`);
        const time = new DataView(raw.buffer, raw.byteOffset + 4, 8).getBigUint64(0);
        if (time > latest) fail(`见证“${name}”的联署时间在未来`);
        let key;
        try {
          key = await crypto.subtle.importKey(
            "raw", witness.publicKey, { name: "Ed25519" }, false, ["verify"]);
        } catch {
          fail("此浏览器不支持 Ed25519 签名验证；请下载证明包，用 sunshine verify --bundle 核验");
        }
        const message = concat(encoder.encode(`cosignature/v1\ntime ${time}\n`),
          encoder.encode(note.text));
        const good = await crypto.subtle.verify({ name: "Ed25519" }, key, raw.slice(12), message);
        if (!good) fail(`见证“${name}”（${witness.text}）的联署签名无效`);
        signed.add(name);
      }
    }
    return signed;
  }

  // The witnesses the quorum counts, in the policy's order.
  function under(policy, name, into = new Set()) {
    if (policy.witnesses.has(name)) into.add(name);
    for (const member of policy.groups.get(name)?.members || []) under(policy, member, into);
    return [...policy.witnesses.keys()].filter((w) => into.has(w));
  }

  function satisfied(policy, name, signed) {
    if (name === "none") return true;
    if (policy.witnesses.has(name)) return signed.has(name);
    const group = policy.groups.get(name);
    return group.members.filter((m) => satisfied(policy, m, signed)).length >= group.k;
  }

  // The policy, or null when the log names no witnesses (404).
  async function witnessPolicy(base, verifier) {
    let response;
    try {
      response = await fetch(`${base}/witness-policy`, { cache: "no-store", credentials: "omit" });
    } catch {
      fail("无法取得见证策略（网络错误）");
    }
    if (response.status === 404) return null;
    if (!response.ok) fail(`无法取得见证策略（HTTP ${response.status}）`);
    const policy = await parsePolicy(
      utf8(new Uint8Array(await response.arrayBuffer()), "见证策略"));
    if (policy.log !== null && !policy.log.startsWith(`${verifier.text}+`)) {
      fail(`见证策略中的日志公钥与日志公钥 ${verifier.text} 不符`);
    }
    return policy;
  }

  // -- the last checkpoint this browser verified for this log ---------------------------

  // RFC 9162 §2.1.4.2: does `proof` show the tree (first, firstRoot) is a prefix of
  // (second, secondRoot)? BigInt for the bit operations, as above.
  async function consistent(first, second, firstRoot, secondRoot, proof) {
    if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
    if (first === 0) return proof.length === 0;
    if (first > second || proof.length === 0) return false;
    const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : proof;
    let fn = BigInt(first - 1);
    let sn = BigInt(second - 1);
    while ((fn & 1n) === 1n) {
      fn >>= 1n;
      sn >>= 1n;
    }
    let fr = path[0];
    let sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0n) return false;
      if ((fn & 1n) === 1n || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n && equal(fr, firstRoot) && equal(sr, secondRoot);
  }

  // Per log origin and per place its checkpoints come from (a static export's notices each
  // carry the checkpoint of their export, which does not move).
  const memoryKey = (origin, base) =>
    `sunshine-ledger/checkpoint/${origin}/${new URL(base, location.href).href}`;

  function recall(key) {
    let raw;
    try {
      raw = localStorage.getItem(key);
    } catch {
      return undefined; // storage refused (a private window, a policy): nothing to compare
    }
    if (raw === null) return null;
    try {
      const seen = JSON.parse(raw);
      const root = b64decode(seen.root, "记住的检查点");
      if (Number.isSafeInteger(seen.size) && seen.size >= 0 && root.length === 32) {
        return { size: seen.size, root };
      }
    } catch {
      // fall through: an unreadable memory is forgotten, not trusted
    }
    return null;
  }

  function remember(key, checkpoint) {
    try {
      localStorage.setItem(key, JSON.stringify(
        { size: checkpoint.size, root: b64encode(checkpoint.root), at: new Date().toISOString() }));
    } catch {
      // storage refused: the next visit cannot compare, which recall() reports
    }
  }

  // Fails on a rollback or a fork of what this browser saw before; says what was compared.
  async function compareWithLastSeen(base, checkpoint, seen) {
    if (seen === undefined) return "（此浏览器不允许保存检查点，未与上次所见比对）";
    if (seen === null) return "（此浏览器此前未验证过此日志的检查点）";
    const was = `此浏览器上次验证的检查点（含 ${entries(seen.size)}）`;
    if (checkpoint.size < seen.size) {
      fail(`日志被回滚：服务器出示的检查点只含 ${entries(checkpoint.size)}，少于${was}`);
    }
    if (checkpoint.size === seen.size) {
      if (!equal(checkpoint.root, seen.root)) {
        fail(`日志出现分叉：服务器出示的检查点与${was}所含日志条目数相同，内容却不同`);
      }
      return `（与此浏览器上次验证的检查点相同，含 ${entries(seen.size)}）`;
    }
    const bytes = await get(
      `${base}/proof/consistency?old=${seen.size}&size=${checkpoint.size}`, "一致性证明");
    let answer;
    try {
      answer = JSON.parse(utf8(bytes, "一致性证明"));
    } catch (error) {
      if (error instanceof Failure) throw error;
      fail("一致性证明不是 JSON");
    }
    if (answer === null || answer.old !== seen.size || answer.size !== checkpoint.size ||
        !Array.isArray(answer.proof) || answer.proof.length > 128) {
      fail("服务器返回的一致性证明格式错误或不是针对这两个检查点的");
    }
    const proof = answer.proof.map((p, n) => {
      const h = b64decode(p, `一致性证明第 ${n + 1} 项`);
      if (h.length !== 32) fail(`一致性证明第 ${n + 1} 项不是 32 字节`);
      return h;
    });
    if (!(await consistent(seen.size, checkpoint.size, seen.root, checkpoint.root, proof))) {
      fail(`日志出现分叉或被改写：服务器出示的检查点（含 ${entries(checkpoint.size)}）` +
        `不是${was}的延续（一致性证明不成立）`);
    }
    return `（经一致性证明，是此浏览器上次验证的含 ${entries(seen.size)}的检查点的延续）`;
  }

  // -- the whole check --------------------------------------------------------------------

  async function verify(panel) {
    if (!formats) fail("未能载入格式脚本 formats.js");
    if (!globalThis.crypto || !crypto.subtle) {
      fail("此浏览器或连接（非 HTTPS）不提供 WebCrypto；请下载证明包，用 sunshine verify --bundle 核验");
    }
    const base = panel.dataset.log || "/log";
    const index = shownIndex(panel);
    const shownHash = panel.querySelector('[data-verify="leaf-hash"]').textContent.trim();
    const [keyBytes, noteBytes, leaf, vocabulary] = await Promise.all([
      get(`${base}/key`, "日志公钥"),
      get(`${base}/checkpoint`, "签名检查点"),
      get(`${base}/entries/${index}`, "日志条目"),
      loadVocabulary(),
    ]);
    const verifier = await parseVerifierKey(utf8(keyBytes, "日志公钥").trim());
    const note = await openNote(utf8(noteBytes, "签名检查点"), verifier);
    const checkpoint = parseCheckpoint(note.text, verifier.name);

    const policy = await witnessPolicy(base, verifier);
    const missingWitnesses = [];
    if (policy !== null) {
      const signed = await cosigners(policy, note);
      if (!satisfied(policy, policy.quorum, signed)) {
        missingWitnesses.push(...under(policy, policy.quorum).filter((w) => !signed.has(w)));
      }
    }

    const memory = memoryKey(checkpoint.origin, base);
    const history = await compareWithLastSeen(base, checkpoint, recall(memory));

    if (index >= checkpoint.size) {
      const which = policy === null ? "最新的签名检查点" : "经见证联署的最新检查点";
      fail(`第 ${index} 条日志条目尚未纳入${which}（含 ${entries(checkpoint.size)}），请稍后再试`);
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
      fail("日志条目经包含证明推算的摘要与签名检查点不符：该条目不在检查点所确认的日志中");
    }
    const entry = parseLeaf(leaf, index);
    const { texts, organisations } = compareShown(panel, entry.data, vocabulary);
    const attached = await checkDocuments(panel, entry.data);
    const named = (organisations > 0 ? `，${organisations} 个单位与条目所记单位相符` : "") +
      (attached > 0 ? `，${attached} 个附件经下载计算 SHA-256，与条目所记摘要一致` : "");
    const found =
      `日志第 ${index} 条条目（${entryLabel(entry.type, vocabulary)}）包含在日志 ` +
      `${checkpoint.origin} 经签名的检查点中（该检查点含 ${entries(checkpoint.size)}，` +
      `签名密钥 ${verifier.text}）；页面上 ${texts} 处文字与条目原文一致${named}${history}`;
    if (missingWitnesses.length > 0) {
      return { state: "amber", message:
        `未达见证法定数：缺少见证：${missingWitnesses.join("、")}。${found}。` +
        "在见证联署之前，无法排除日志向不同读者出示不同历史。" };
    }
    remember(memory, checkpoint);
    const witnessed = policy === null ? "" :
      `；见证联署满足法定数（${policy.quorum}）`;
    return { state: "ok", message:
      `验证通过：${found}${witnessed}。此浏览器已记住此检查点，下次验证时要求日志证明其后的检查点是它的延续。` };
  }

  function show(panel, result, state, message) {
    for (const element of [panel, result]) {
      element.classList.remove("ok", "bad", "amber", "pending");
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
        const { state, message } = await verify(panel);
        show(panel, result, state, message);
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
