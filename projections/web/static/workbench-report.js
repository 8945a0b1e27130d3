// 阳光采购账本: an evaluation expert signs the evaluation report 评审报告 (templates/workbench/
// report.html). The report ({procurement, date, results}, as the 评审完成 form will record
// it) comes in the link's fragment or pasted as its code; the page shows it in words, signs
// it with the key the expert signed in with (held in this browser) over what
// ledger/domain/committee.py's report_message makes, and gives the 签名码 the agency puts in
// the committee's sealed list (workbench-committee.js).
import { SigningError } from "./signing.js";
import { heldKey } from "./workbench-keys.js";
import { decodeCode, encodeCode, reportBytes } from "./workbench-committee.js";

const form = document.getElementById("report-form");
const codeBox = document.getElementById("report-code");
const section = document.getElementById("report");
const status = document.getElementById("report-status");
const say = (text) => { status.textContent = text; };
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const CODE = /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/;

const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
};

/** The report a code carries, or null when it is not one the ledger would take. */
function reportOf(code) {
  const got = decodeCode(code);
  if (!got || typeof got !== "object" || Object.keys(got).sort().join() !== "date,procurement,results") return null;
  if (typeof got.procurement !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(got.date) || !Array.isArray(got.results) || !got.results.length) return null;
  if (!got.results.every((r) => r && typeof r === "object" && CODE.test(r.supplier) && typeof r.valid === "boolean")) return null;
  return got;
}

/** A supplier's registered name from the directory, or its code. */
async function nameOf(code) {
  const got = await fetch(`/organisations/${encodeURIComponent(code)}.json`, { headers: { Accept: "application/json" } });
  return got.ok ? (await got.json()).organisation?.name || code : code;
}

let shown = null;

async function show(code) {
  const report = reportOf(code);
  document.getElementById("report-error").textContent = report ? "" : "评审报告码不完整或有误，请从组织评审的单位重新获取链接。";
  section.hidden = true;
  document.getElementById("signed").hidden = true;
  shown = null;
  if (!report) return;
  const [year, month, day] = report.date.split("-").map(Number);
  document.getElementById("report-list").replaceChildren(
    el("dt", {}, "采购项目编号"), el("dd", {}, report.procurement),
    el("dt", {}, "评审日期"), el("dd", {}, `${year}年${month}月${day}日`),
    el("dt", {}, "投标人"), el("dd", {}, `${report.results.length}家`));
  const names = await Promise.all(report.results.map((r) => nameOf(r.supplier)));
  document.getElementById("report-rows").replaceChildren(...report.results.map((r, i) => el("tr", {},
    el("td", {}, `${names[i]}（${r.supplier}）`), el("td", {}, r.valid ? "有效" : "无效"),
    el("td", {}, r.score ?? "—"), el("td", {}, r.rank != null ? `第${r.rank}名` : "—"), el("td", {}, r.reason ?? ""))));
  shown = report;
  section.hidden = false;
  document.getElementById("report-heading").focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  show(codeBox.value).catch((error) => say("无法显示评审报告：" + error.message));
});

document.getElementById("sign-report").addEventListener("click", async () => {
  if (!shown) return;
  try {
    const held = await heldKey(form.dataset.key);
    if (!held) throw new SigningError("本浏览器没有保存您登录所用的密钥，无法签名：请在保存该密钥的浏览器中签署。");
    const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, held.key, reportBytes(shown)));
    document.getElementById("signature-code").value = encodeCode({
      actor: form.dataset.actor, key: held.keyId, name: form.dataset.name,
      public_key: held.publicKey, signature: b64(signature),
    });
    document.getElementById("signed").hidden = false;
    say("已签署。签名码只证明您签署了这份评审报告，不含您的密钥。");
    document.getElementById("signed-heading").focus();
  } catch (error) {
    say(error instanceof SigningError ? error.message : "签署失败：" + error.message);
  }
});

// The link's fragment carries the report; it never reaches the server.
if (location.hash.length > 1) {
  codeBox.value = location.hash.slice(1);
  show(codeBox.value).catch((error) => say("无法显示评审报告：" + error.message));
}
