// 阳光采购账本: a command's form on the workbench (templates/workbench/form.html), built from
// the JSON Schema the ledger checks the payload against (/workbench/forms/TYPE/schema.json).
// The browser lists every field error at once, in the server's words, before anything is
// signed; a sealed value is sealed here (its salt made here); the command is signed with the
// key the official signed in with (held in this browser) and posted to /commands.
import { SigningError, canonical, seal, signedBody } from "./signing.js";
import { heldKey } from "./workbench-keys.js";
import { attachmentProblems, attachments, digestOfFile, isDocuments, isHexDigest } from "./workbench-documents.js";
import { committeeField } from "./workbench-committee.js";

const form = document.getElementById("command-form");
const fields = document.getElementById("fields");
const errorsBox = document.getElementById("errors");
const preview = document.getElementById("preview");
const receipt = document.getElementById("receipt");
const status = document.getElementById("form-status");
const say = (text) => { status.textContent = text; };
const kind = form.dataset.kind;

/** Fields naming an organisation: picked from the directory as one types. */
const ORGANISATIONS = new Set(["agency", "supplier", "supervisor", "organisation", "suppliers", "admitted", "destination"]);
const TEXT_AREA = 500; // longer limits are texts of lines
const PROCUREMENT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

let schema = null;
let counter = 0;
const nextId = () => `f${++counter}`;

const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
};

/** A field's schema without its `null` alternative, its `$ref` followed. */
function resolve(field) {
  let optional = false;
  let inner = field;
  if (field.anyOf) {
    optional = field.anyOf.some((s) => s.type === "null");
    inner = { ...field.anyOf.find((s) => s.type !== "null"), title: field.title, description: field.description };
  }
  if (inner.$ref) {
    const name = inner.$ref.split("/").pop();
    inner = { ...schema.$defs[name], title: inner.title ?? field.title, description: inner.description ?? field.description, ref: name };
  }
  return { optional, inner };
}

const isSealed = (s) => s.ref === "Sealed";
const isAmount = (s) => s.type === "string" && (s.examples || [])[0] === "1234567.89";
const isMinute = (s) => s.type === "string" && (s.examples || [])[0] === "09:30";

/** 1234567.89 元 as 123.456789 万元, shown beside an amount. */
function tenThousands(text) {
  if (!/^(?:0|[1-9][0-9]{0,13})(?:\.[0-9]{1,2})?$/.test(text)) return "";
  const [whole, part = ""] = text.split(".");
  const digits = (whole.padStart(5, "0") + part.padEnd(2, "0"));
  const head = digits.slice(0, -6).replace(/^0+(?=\d)/, "");
  const tail = digits.slice(-6).replace(/0+$/, "");
  return `＝ ${head}${tail ? "." + tail : ""} 万元`;
}

// -- the directory: organisations found by name or code as one types ------------------------

const directory = el("datalist", { id: "organisations" });
document.body.append(directory);
const names = new Map();
let searching = null;
async function search(text) {
  const q = text.trim();
  if (q.length < 1) return;
  clearTimeout(searching);
  searching = setTimeout(async () => {
    const got = await fetch("/organisations.json?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } });
    if (!got.ok) return;
    const found = (await got.json()).organisations || [];
    directory.replaceChildren(...found.slice(0, 20).map((o) => {
      names.set(o.code, o.name);
      return el("option", { value: o.code }, `${o.name}（${o.code}）`);
    }));
  }, 150);
}

// -- building the form from the schema --------------------------------------------------------

/** A control for a scalar field: `{node, read}` where `read()` gives the JSON value or
 * undefined when left empty. */
function scalar(name, s, id, describedBy) {
  const common = { id, name, "aria-describedby": describedBy, autocomplete: "off" };
  if (s.enum || s.type === "boolean") {
    const options = s.type === "boolean" ? [["true", "是"], ["false", "否"]]
      : s.enum.map((code, i) => [code, (s["x-enum-descriptions"] || [])[i] || code]);
    const select = el("select", common, el("option", { value: "" }, "请选择"),
      ...options.map(([value, label]) => el("option", { value }, label)));
    const read = () => select.value === "" ? undefined : s.type === "boolean" ? select.value === "true" : select.value;
    return { node: select, read };
  }
  if (s.type === "integer") {
    const input = el("input", { ...common, inputmode: "numeric" });
    const read = () => { const t = input.value.trim(); return t === "" ? undefined : /^-?\d+$/.test(t) ? Number(t) : t; };
    return { node: input, read };
  }
  if (s.format === "date") {
    const input = el("input", { ...common, type: "date" });
    return { node: input, read: () => input.value || undefined };
  }
  if (isMinute(s)) {
    const input = el("input", { ...common, type: "time", step: "60" });
    return { node: input, read: () => input.value ? input.value.slice(0, 5) : undefined };
  }
  if (isAmount(s)) {
    const input = el("input", { ...common, inputmode: "decimal", placeholder: "元" });
    const beside = el("span", { class: "muted wan" });
    input.addEventListener("input", () => { beside.textContent = tenThousands(input.value.trim()); });
    return { node: el("span", {}, input, " 元 ", beside), read: () => input.value.trim() || undefined };
  }
  if (ORGANISATIONS.has(name)) {
    const input = el("input", { ...common, list: "organisations", placeholder: "输入单位名称或代码搜索" });
    const beside = el("span", { class: "muted" });
    input.addEventListener("input", () => { search(input.value); beside.textContent = names.get(input.value.trim()) || ""; });
    return { node: el("span", {}, input, " ", beside), read: () => input.value.trim() || undefined };
  }
  const long = (s.maxLength || 0) > TEXT_AREA;
  const input = long ? el("textarea", { ...common, rows: "4" }) : el("input", common);
  return { node: input, read: () => input.value === "" ? undefined : long ? input.value : input.value.trim() };
}

/** A field of any shape at `path` (payload.items[0].name): `{node, read}`; `read()` also
 * collects what sealed values it seals into `sealing`. */
function build(name, field, path, required) {
  const { optional, inner } = resolve(field);
  const label = (inner.title || name) + (required && !optional ? "" : "（选填）");
  const errorId = nextId();
  const error = el("span", { class: "field-error", id: errorId, "data-field": path });
  const hint = field.description || inner.description;
  if (isSealed(inner) && name === "committee") {
    return committeeField({ el, nextId, label, path, error, report: currentReport });
  }
  if (isSealed(inner)) {
    const id = nextId();
    const control = name === "price" ? scalar(name, { type: "string", examples: ["1234567.89"] }, id, errorId)
      : scalar(name, { type: "string", maxLength: 200 }, id, errorId);
    const node = el("p", { class: "field" }, el("label", { for: id }, label), el("br"), control.node,
      el("span", { class: "muted" }, " 本浏览器密封后提交，开标前谁也看不到"), el("br"), error);
    return { node, read: () => control.read(), sealed: true, path, title: inner.title || name };
  }
  if (inner.type === "object") {
    const children = Object.entries(inner.properties).map(([key, sub]) =>
      [key, build(key, sub, `${path}.${key}`, (inner.required || []).includes(key))]);
    const legend = el("legend", {}, label);
    const set = el("fieldset", {}, legend, ...children.map(([, c]) => c.node), error);
    let used = () => true;
    if (optional) {
      const toggleId = nextId();
      const toggle = el("input", { type: "checkbox", id: toggleId });
      const body = children.map(([, c]) => c.node);
      const show = () => body.forEach((n) => { n.hidden = !toggle.checked; });
      toggle.addEventListener("change", show);
      legend.after(el("p", {}, toggle, el("label", { for: toggleId }, " 填写此项")));
      show();
      used = () => toggle.checked;
    }
    const read = () => {
      if (!used()) return undefined;
      const value = {};
      for (const [key, c] of children) {
        const v = c.read();
        if (v !== undefined) value[key] = v;
      }
      return value;
    };
    return { node: set, read, children, path };
  }
  if (isDocuments(inner)) return attachments(path, label, errorId);
  if (inner.type === "array") {
    const rows = el("ol", { class: "rows" });
    const items = [];
    const add = () => {
      const i = items.length;
      // Each row is named as its list is (采购标的), not by the field's code (items).
      const item = build(name, { ...inner.items, title: inner.items.title ?? inner.title }, `${path}[${i}]`, true);
      const remove = el("button", { type: "button" }, "删除此项");
      const row = el("li", {}, item.node, remove);
      const entry = { item, row };
      remove.addEventListener("click", () => {
        items.splice(items.indexOf(entry), 1);
        row.remove();
        renumber();
      });
      items.push(entry);
      rows.append(row);
      row.querySelector("input,select,textarea")?.focus();
    };
    const renumber = () => items.forEach((entry, i) => { relabel(entry.item, `${path}[${i}]`); });
    const more = el("button", { type: "button" }, "添加一项");
    more.addEventListener("click", add);
    const set = el("fieldset", {}, el("legend", {}, label), rows, more, error);
    if (!optional && required) add();
    const read = () => {
      if (optional && items.length === 0) return undefined;
      return items.map((e) => e.item.read());
    };
    return { node: set, read, items, path };
  }
  const id = nextId();
  const control = scalar(name, inner, id, errorId);
  if (isHexDigest(inner)) control.node = digestOfFile(control.node);
  const node = el("p", { class: "field" }, el("label", { for: id }, label), el("br"), control.node,
    hint ? el("span", { class: "muted hint" }, el("br"), hint) : "", el("br"), error);
  return { node, read: control.read, path };
}

/** The evaluation report the committee's experts sign ({procurement, date, results}, as
 * ledger/domain/committee.py's report_message reads the payload), or null while incomplete. */
function currentReport() {
  const procurement = form.elements.procurement.value.trim();
  const payload = root?.read() || {};
  if (!PROCUREMENT.test(procurement) || !payload.date || !payload.results?.length) return null;
  return { procurement, date: payload.date, results: payload.results };
}

/** An array's row keeps its error slots named by its place after a removal. */
function relabel(item, path) {
  const old = item.path;
  item.node.querySelectorAll("[data-field]").forEach((n) => {
    n.dataset.field = path + n.dataset.field.slice(old.length);
  });
  item.path = path;
}

// -- checking, as the server does (ledger/domain/schema/payload_check.py) ---------------------

const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;

function check(field, value, path, required, errors) {
  const { optional, inner } = resolve(field);
  if (value === undefined) {
    if (required && !optional) errors.push([path, "必填"]);
    return;
  }
  if (isSealed(inner)) return; // its value is checked by the handler once disclosed
  if (inner.type === "object") {
    for (const [key, sub] of Object.entries(inner.properties)) {
      check(sub, value[key], `${path}.${key}`, (inner.required || []).includes(key), errors);
    }
    return;
  }
  if (inner.type === "array") {
    if (inner.minItems && value.length < inner.minItems) errors.push([path, `至少${inner.minItems}项`]);
    if (inner.maxItems && value.length > inner.maxItems) errors.push([path, `至多${inner.maxItems}项`]);
    value.forEach((v, i) => check(inner.items, v, `${path}[${i}]`, true, errors));
    return;
  }
  if (inner.enum && !inner.enum.includes(value)) {
    errors.push([path, "应为下列之一：" + inner.enum.map((c, i) => `${c}（${inner["x-enum-descriptions"]?.[i]}）`).join("、")]);
  } else if (inner.type === "integer") {
    if (typeof value !== "number" || value < inner.minimum || value > inner.maximum) {
      errors.push([path, `应为${inner.minimum}到${inner.maximum}之间的整数`]);
    }
  } else if (inner.format === "date") {
    const day = new Date(value + "T00:00:00Z");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) {
      errors.push([path, '应为日期，写作"YYYY-MM-DD"，如"2026-11-20"']);
    }
  } else if (inner.pattern && !new RegExp(inner.pattern).test(value)) {
    errors.push([path, inner["x-message"] || "格式不对"]);
  } else if (typeof value === "string") {
    if (inner.minLength && !value.trim()) errors.push([path, "不能为空"]);
    else if (inner.maxLength && value.length > inner.maxLength) errors.push([path, `不能超过${inner.maxLength}个字（现为${value.length}个）`]);
    else if (FORBIDDEN.test(value)) errors.push([path, "含有控制字符或文字方向控制符，只能是文字"]);
    else if (inner.maxLength <= TEXT_AREA && /[\n\r\t]/.test(value)) errors.push([path, "应为一行文字，不能换行或含制表符"]);
  }
}

/** Each error beside its field, and all of them listed above the button, at once. */
function showErrors(errors) {
  form.querySelectorAll(".field-error").forEach((n) => { n.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  errorsBox.hidden = errors.length === 0;
  if (!errors.length) return;
  const list = el("ul");
  for (const [path, message] of errors) {
    const slot = form.querySelector(`[data-field="${CSS.escape(path)}"]`);
    const title = slot?.closest(".field")?.querySelector("label")?.textContent
      || slot?.closest("fieldset")?.querySelector("legend")?.textContent || path;
    if (slot) {
      slot.textContent = message;
      slot.closest(".field")?.querySelector("input,select,textarea")?.setAttribute("aria-invalid", "true");
    }
    list.append(el("li", {}, `${title.replace("（选填）", "")}：${message}`));
  }
  errorsBox.replaceChildren(el("p", {}, `有${errors.length}处需要修改：`), list);
  errorsBox.focus?.();
}

// -- preview, signing, the receipt ------------------------------------------------------------

let root = null;
let ready = null; // {procurement, payload, sealed (its sealed values replaced), sealing}

/** The payload, with each sealed value replaced by its commitment and kept aside. */
async function sealedPayload(node, value, sealing) {
  if (value === undefined) return undefined;
  if (node.sealed) {
    const made = await seal(value);
    sealing[made.commitment] = { value, salt: made.salt };
    return { commitment: made.commitment };
  }
  if (node.children) {
    const out = {};
    for (const [key, c] of node.children) {
      const v = await sealedPayload(c, value[key], sealing);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  return value;
}

/** What will be signed, in words: each field's Chinese title and value. */
function describe(node, value, into, prefix = "") {
  if (value === undefined) return;
  if (node.describe) { into.push(...node.describe(value)); return; }
  const title = node.node.querySelector("label,legend")?.textContent.replace("（选填）", "") || "";
  if (node.sealed) {
    into.push([prefix + node.title, `${node.summary ? node.summary(value) : value}（密封）`]);
  } else if (node.children) {
    node.children.forEach(([key, c]) => describe(c, value[key], into, prefix));
  } else if (node.items) {
    node.items.forEach((e, i) => describe(e.item, value[i], into, `${prefix}${title}第${i + 1}项 · `));
  } else {
    const select = node.node.querySelector("select");
    const shown = select ? select.selectedOptions[0]?.textContent : String(value);
    const wan = node.node.querySelector(".wan")?.textContent;
    into.push([prefix + title, shown + (wan ? ` 元（${wan.replace("＝ ", "")}）` : "")]);
  }
}

/** The ledger's refusal shown against the form's fields, or in words. */
function showRefusal(reply, status) {
  if (Array.isArray(reply.errors) && reply.errors.length) {
    showErrors(reply.errors.map((e) => [e.field, e.message]));
    say("账本拒绝了这份表单：请按提示修改。");
  } else {
    say("账本拒绝了这项记录：" + (reply.message_zh || reply.message || `HTTP ${status}`));
  }
}

/** The entry as the public page will show it, and the findings it would be recorded with:
 * decided by the ledger (POST /workbench/preview) on the very payload that will be signed. */
async function publicPreview(procurement, payload, sealing) {
  const answer = await fetch("/workbench/preview", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ type: kind, procurement, payload, sealed: sealing }),
  });
  if (!answer.ok) {
    showRefusal(await answer.json().catch(() => ({})), answer.status);
    return null;
  }
  // Rendered and escaped by the server from the public pages' own templates.
  return new DOMParser().parseFromString(await answer.text(), "text/html").body.childNodes;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!root) return;
  const procurement = form.elements.procurement.value.trim();
  const payload = root.read() || {};
  const errors = [];
  if (!form.elements.procurement.type.includes("hidden") && !PROCUREMENT.test(procurement)) {
    errors.push(["procurement", "应为采购项目编号：字母、数字、“-”或“_”，至多64个字符"]);
  }
  check({ ...schema, ref: undefined }, payload, "payload", true, errors);
  errors.push(...attachmentProblems());
  for (const [, c] of root.children) if (c.problems) errors.push(...c.problems());
  showErrors(errors);
  if (errors.length) { say(""); return; }
  const lines = [];
  if (procurement) lines.push(["采购项目编号", procurement]);
  describe(root, payload, lines);
  try {
    say("正在生成预览……");
    // Sealed once, here: the preview is decided on the same commitments that are signed.
    const sealing = {};
    const sealed = await sealedPayload(root, payload, sealing);
    const shown = await publicPreview(procurement || null, sealed, sealing);
    if (!shown) return;
    document.getElementById("public-preview").replaceChildren(...shown);
    document.getElementById("preview-list").replaceChildren(...lines.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    ready = { procurement: procurement || null, payload, sealed, sealing };
    form.hidden = true;
    preview.hidden = false;
    say("");
    document.getElementById("preview-heading").focus();
  } catch (error) {
    say("无法生成预览：" + error.message);
  }
});

document.getElementById("revise").addEventListener("click", () => {
  preview.hidden = true;
  form.hidden = false;
  ready = null;
});

/** Where the public sees what was recorded, as `sunshine submit` names it. */
function publicPage(procurement, payload, index) {
  if (procurement) return `/procurements/${encodeURIComponent(procurement)}`;
  if (["RegisterOrganisation", "AmendOrganisation", "RecordDebarment"].includes(kind)) return `/organisations/${encodeURIComponent(payload.code)}`;
  return index != null ? `/log/entries/${index}` : "/";
}

document.getElementById("sign").addEventListener("click", async () => {
  if (!ready) return;
  try {
    const held = await heldKey(form.dataset.key);
    if (!held) throw new SigningError("本浏览器没有保存您登录所用的密钥，无法签名：请在保存该密钥的浏览器中办理。");
    say("正在签名并提交……");
    const body = await signedBody(held, form.dataset.actor, kind, ready.procurement, ready.sealed, ready.sealing);
    const answer = await fetch("/commands", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body,
    });
    const reply = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      preview.hidden = true;
      form.hidden = false;
      showRefusal(reply, answer.status);
      return;
    }
    showReceipt(ready.procurement, ready.payload, reply);
  } catch (error) {
    say(error instanceof SigningError ? error.message : "操作失败：" + error.message);
  }
});

function showReceipt(procurement, payload, reply) {
  const indices = (reply.events || []).map((e) => e.leaf_index).filter((i) => i != null);
  const page = publicPage(procurement, payload, indices[0]);
  document.getElementById("receipt-line").textContent = indices.length
    ? `已记入日志：日志序号 ${indices.join("、")}。`
    : "已受理，正在写入日志，稍后可在公开页面看到。";
  document.getElementById("receipt-page").href = page;
  document.getElementById("receipt-verify").href = indices.length ? `/log/entries/${indices[0]}` : page;
  const lookup = reply.lookup;
  if (lookup && lookup.code) {
    const box = document.getElementById("lookup");
    box.replaceChildren("质疑编号 ", el("strong", {}, String(lookup.challenge)), "，查询码 ",
      el("strong", { class: "code" }, String(lookup.code)), "（请妥善保存：凭它查询质疑的处理情况）");
    box.hidden = false;
  }
  if (reply.bid_receipt != null) {
    const commitment = String(reply.bid_receipt.commitment || "");
    document.getElementById("bid-commitment").textContent = commitment;
    const again = new URLSearchParams({ procurement: procurement || "", supersedes: commitment });
    document.getElementById("bid-change").href = "/workbench/forms/SubmitBid?" + again;
    again.set("withdraw", "true");
    document.getElementById("bid-withdraw").href = "/workbench/forms/SubmitBid?" + again;
    document.getElementById("bid-receipt-text").textContent = canonical(reply.bid_receipt);
    document.getElementById("bid-receipt").hidden = false;
  }
  preview.hidden = true;
  receipt.hidden = false;
  say("");
  document.getElementById("receipt-heading").focus?.();
}

// -- start ---------------------------------------------------------------------------------

(async () => {
  const got = await fetch(`/workbench/forms/${encodeURIComponent(kind)}/schema.json`, { headers: { Accept: "application/json" } });
  if (!got.ok) { fields.textContent = "无法载入表单，请刷新页面。"; fields.setAttribute("aria-busy", "false"); return; }
  schema = await got.json();
  root = build("payload", { ...schema, $ref: undefined }, "payload", true);
  fields.replaceChildren(...root.children.map(([, c]) => c.node));
  fields.setAttribute("aria-busy", "false"); // built: screen readers (and the tests) may read the fields now
  errorsBox.tabIndex = -1;
  // What the link came with: a 待办 item's number, the bid a change supersedes.
  for (const key of ["challenge", "complaint", "supersedes", "withdraw"]) {
    const value = form.dataset["prefill" + key[0].toUpperCase() + key.slice(1)];
    const input = fields.querySelector(`#fields > p [name="${key}"]`);
    if (value && input) input.value = value;
  }
})().catch((error) => { fields.textContent = "无法载入表单：" + error.message; fields.setAttribute("aria-busy", "false"); });
