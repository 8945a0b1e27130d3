// 阳光采购账本: a command's attached documents 附件 on a workbench form (workbench-form.js).
// The official picks files; each is hashed here with WebCrypto SHA-256, shown with its name,
// size and digest, and uploaded to POST /documents with a signed UploadDocument request (the
// store keeps it only if its bytes hash to the digest signed). The command then names each
// by {name, media_type, sha256, size}: what is signed is the digest, not the bytes.
import { SigningError, signedBody } from "./signing.js";
import { heldKey } from "./workbench-keys.js";

/** The types the ledger takes (ledger/domain/documents.py), by file name extension: a
 * browser gives no type for an OFD file, and a ZIP's differs between systems. */
const BY_EXTENSION = {
  pdf: "application/pdf",
  ofd: "application/ofd",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  zip: "application/zip",
  txt: "text/plain",
};
const ALLOWED = "PDF、OFD、DOCX、XLSX、ZIP 或 TXT";
const NAME_LIMIT = 200;

/** What the upload's refusal means to the official (codes of ledger/http_documents.py). */
const REFUSED = {
  digest_mismatch: "上传的内容与本浏览器计算的摘要不符，账本未保存（文件可能在传输中被改动），请重新选择文件",
  document_type: `只能附 ${ALLOWED} 文件`,
  forbidden: "只有采购人、采购代理机构和财政部门可以上传附件",
  too_large: "文件超过账本允许的大小",
  unauthenticated: "签名未被接受，请重新登录后再试",
  revoked_key: "您的签名密钥已被吊销，无法上传",
};

const form = document.getElementById("command-form");
const widgets = [];

const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** 1536 as "1.5 KB（1536 字节）": the size in words and exactly. */
export function fileSize(bytes) {
  const units = [["GB", 2 ** 30], ["MB", 2 ** 20], ["KB", 2 ** 10]];
  const [unit, scale] = units.find(([, s]) => bytes >= s) || ["", 1];
  const shown = unit ? `${(bytes / scale).toFixed(1).replace(/\.0$/, "")} ${unit}` : `${bytes} 字节`;
  return unit ? `${shown}（${bytes} 字节）` : shown;
}

/** Why a file cannot be attached, in Chinese; null if it can. */
function refusal(file, limit) {
  const extension = (file.name.split(".").pop() || "").toLowerCase();
  if (!file.name.includes(".") || !BY_EXTENSION[extension]) return `“${file.name}”：只能附 ${ALLOWED} 文件`;
  if (file.size === 0) return `“${file.name}”是空文件`;
  if (limit && file.size > limit) return `“${file.name}”有 ${fileSize(file.size)}，超过上限 ${fileSize(limit)}`;
  if (file.name.length > NAME_LIMIT) return `“${file.name.slice(0, 40)}……”：文件名不能超过${NAME_LIMIT}个字`;
  return null;
}

const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
};

/** The field `path` (payload.documents): a file picker and the list of files attached, as
 * `{node, read, describe, path}` for the form; `read()` gives the references uploaded. */
export function attachments(path, label, errorId) {
  const limit = Number(form.dataset.documentMax) || 0;
  const pickerId = `${errorId}-files`;
  const picker = el("input", { type: "file", id: pickerId, multiple: "", "aria-describedby": errorId,
    accept: Object.keys(BY_EXTENSION).map((e) => "." + e).join(",") });
  const list = el("ol", { class: "attachments" });
  const error = el("span", { class: "field-error", id: errorId, "data-field": path, role: "status" });
  const rows = [];
  const hint = el("span", { class: "muted hint" }, el("br"),
    `${ALLOWED}，每个不超过 ${fileSize(limit)}。文件在本浏览器中计算 SHA-256 摘要后上传，签名的是摘要。`);
  const node = el("fieldset", { class: "field-documents" }, el("legend", {}, label),
    el("p", {}, el("label", { for: pickerId }, "选择文件"), el("br"), picker, hint), list, error);

  picker.addEventListener("change", () => {
    const refused = [];
    for (const file of picker.files) {
      const why = refusal(file, limit);
      if (why) refused.push(why);
      else add(file);
    }
    error.textContent = refused.join("；");
    picker.value = "";
  });

  function add(file) {
    const extension = file.name.split(".").pop().toLowerCase();
    const row = { name: file.name.normalize("NFC").trim(), media_type: BY_EXTENSION[extension], size: file.size, sha256: null, state: "hashing" };
    const digest = el("code", { class: "digest" }, "正在计算……");
    const state = el("span", { class: "document-state", role: "status" }, "正在计算摘要……");
    const remove = el("button", { type: "button" }, "删除此附件");
    row.node = el("li", {}, el("strong", {}, row.name), " ",
      el("span", { class: "muted" }, `（${extension.toUpperCase()}，${fileSize(file.size)}）`), el("br"),
      el("span", { class: "muted" }, "SHA-256："), digest, el("br"), state, " ", remove);
    remove.addEventListener("click", () => { rows.splice(rows.indexOf(row), 1); row.node.remove(); picker.focus(); });
    rows.push(row);
    list.append(row.node);
    upload(file, row, digest, state).catch((e) => {
      row.state = "failed";
      state.textContent = "上传失败：" + (e instanceof SigningError ? e.message : e.message || e);
      state.className = "document-state document-refused";
    });
  }

  async function upload(file, row, digest, state) {
    const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
    row.sha256 = b64(bytes);
    digest.textContent = hex(bytes);
    if (rows.some((r) => r !== row && r.sha256 === row.sha256)) throw new SigningError("同一文件已经附上");
    state.textContent = "正在上传……";
    const held = await heldKey(form.dataset.key);
    if (!held) throw new SigningError("本浏览器没有保存您登录所用的密钥，无法签名上传");
    const announced = { sha256: row.sha256, size: row.size, media_type: row.media_type, name: row.name };
    const request = await signedBody(held, form.dataset.actor, "UploadDocument", null, announced);
    const answer = await fetch("/documents", {
      method: "POST", body: file,
      headers: { "Content-Type": row.media_type, Accept: "application/json",
        "Sunshine-Signed-Request": b64(new TextEncoder().encode(request)) },
    });
    const reply = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const why = answer.status === 413 ? REFUSED.too_large : REFUSED[reply.code];
      throw new SigningError(why || `账本拒绝了上传（HTTP ${answer.status}）`);
    }
    if (reply.sha256 !== row.sha256) throw new SigningError("账本保存的摘要与本浏览器计算的不符");
    row.state = "uploaded";
    state.textContent = reply.new === false ? "已上传（账本原已存有同一文件）" : "已上传";
  }

  widgets.push({ path, label, rows });
  const read = () => rows.length === 0 ? undefined
    : rows.map(({ name, media_type, sha256, size }) => ({ name, media_type, sha256, size }));
  const describe = (value) => value.map((d, i) =>
    [`${label.replace("（选填）", "")}第${i + 1}项`, `${d.name}（${fileSize(d.size)}，SHA-256 ${hex(Uint8Array.from(atob(d.sha256), (c) => c.charCodeAt(0)))}）`]);
  return { node, read, describe, path };
}

/** Attachments not ready to sign: still being hashed or uploaded, or refused. */
export function attachmentProblems() {
  const problems = [];
  for (const { path, rows } of widgets) {
    rows.forEach((row, i) => {
      if (row.state === "hashing") problems.push([path, `第${i + 1}个附件“${row.name}”尚未上传完成，请稍候`]);
      if (row.state === "failed") problems.push([path, `第${i + 1}个附件“${row.name}”未能上传，请删除后重新选择`]);
    });
  }
  return problems;
}

/** Whether a schema array's items are documents (DocumentRef): the field is a picker. */
export const isDocuments = (s) => s.type === "array" && (s.items?.$ref || "").endsWith("/DocumentRef");

/** Whether a field is a file's SHA-256 in hex (a bid's 投标文件): filled by hashing a file
 * here, which is never uploaded (a bid's documents stay with the supplier until opened). */
export const isHexDigest = (s) => s.type === "string" && s.pattern === "^[0-9a-f]{64}$";

/** The hex digest `input` beside a picker that fills it with a chosen file's SHA-256. */
export function digestOfFile(input) {
  const pickerId = `${input.id}-file`;
  const picker = el("input", { type: "file", id: pickerId });
  const said = el("span", { class: "muted", role: "status" });
  picker.addEventListener("change", async () => {
    const file = picker.files[0];
    if (!file) return;
    said.textContent = "正在计算摘要……";
    const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
    input.value = hex(bytes);
    said.textContent = `已填入“${file.name}”（${fileSize(file.size)}）的 SHA-256；文件不上传，只签名其摘要。`;
  });
  return el("span", {}, input, el("br"), el("label", { for: pickerId }, "或选择文件，在本浏览器中计算摘要："), " ", picker, el("br"), said);
}
