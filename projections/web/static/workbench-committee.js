// 阳光采购账本: the evaluation committee 评审委员会 on the 评审完成 form (workbench-form.js).
// Its value is the sealed list ledger/domain/committee.py parses: each evaluation expert by
// the 签名码 they made on /workbench/forms/report (who they are in the registry, their key
// and their signature over this very report), how they were selected and, for an expert the
// purchaser chose, the consent that allows it; the purchaser's representatives by name. The
// list is sealed in this browser with the rest of the form's sealed values.
import { canonical } from "./signing.js";

/** What each expert signs, as ledger/domain/committee.py's report_message makes it. */
export const REPORT_CONTEXT = "sunshine-ledger evaluation report v1\n";

const fromB64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const toB64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromB64url = (text) => fromB64(text.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - text.length % 4) % 4));

/** A JSON value as a code to pass by hand or in a link: base64url of its canonical JSON. */
export const encodeCode = (value) => toB64url(new TextEncoder().encode(canonical(value)));
/** The value a code carries, or null when it is not one. */
export function decodeCode(code) {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromB64url(code.trim())));
  } catch (e) {
    return null;
  }
}

/** The bytes an expert signs for `report` ({procurement, date, results}). */
export const reportBytes = (report) => new TextEncoder().encode(REPORT_CONTEXT + canonical(report));

/** A 签名码 read: `{actor, key, name, public_key, signature}`, or null. */
function signatureOf(code) {
  const got = decodeCode(code);
  const text = (v) => typeof v === "string" && v.length > 0 && v.length <= 200;
  if (!got || typeof got !== "object" || !["actor", "key", "name", "public_key", "signature"].every((k) => text(got[k]))) return null;
  return got;
}

/** True when `signed` is the expert's signature over `report`. */
async function verifies(signed, report) {
  try {
    const key = await crypto.subtle.importKey("raw", fromB64(signed.public_key), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, fromB64(signed.signature), reportBytes(report));
  } catch (e) {
    return false;
  }
}

const SELECTIONS = [["random", "随机抽取"], ["chosen", "自行选定"]];
const CONSENT = [["by", "同意自行选定的主管预算单位", 100], ["reference", "同意文件文号", 100], ["reason", "不能随机抽取的理由", 500]];

/** The committee's field: `{node, read, sealed, path, title, summary, problems}` as
 * workbench-form.js's build() gives its fields. `report()` is the form's report now
 * ({procurement, date, results}), or null while the date or the results are missing. */
export function committeeField({ el, nextId, label, path, error, report }) {
  const rows = el("ol", { class: "rows committee" });
  const members = []; // {kind, row, read(), problems(i)}
  const linkBox = el("p", { class: "report-link", hidden: "" });
  const makeLink = el("button", { type: "button", id: "report-link-make" }, "生成评审报告签署链接");
  makeLink.addEventListener("click", () => {
    const now = report();
    if (!now) {
      linkBox.replaceChildren("请先填写采购项目编号、评审日期和评审结果，再生成签署链接。");
    } else {
      const href = "/workbench/forms/report#" + encodeCode(now);
      linkBox.replaceChildren("请每位评审专家用本人密钥登录后打开此链接签署评审报告，并把得到的签名码交回：",
        el("br"), el("a", { id: "report-link", href }, "签署评审报告"));
    }
    linkBox.hidden = false;
  });

  const remove = (entry) => {
    const button = el("button", { type: "button" }, "删除此项");
    button.addEventListener("click", () => {
      members.splice(members.indexOf(entry), 1);
      entry.row.remove();
    });
    return button;
  };

  const addExpert = () => {
    const codeId = nextId();
    const code = el("textarea", { id: codeId, name: "signature_code", rows: "2", autocomplete: "off" });
    const who = el("span", { class: "muted", role: "status" });
    const slot = el("span", { class: "field-error", "data-field": "" });
    const selectId = nextId();
    const selection = el("select", { id: selectId, name: "selection" },
      ...SELECTIONS.map(([value, text]) => el("option", { value }, text)));
    const consentInputs = CONSENT.map(([key, title, most]) => {
      const id = nextId();
      const input = most > 100 ? el("textarea", { id, name: "consent_" + key, rows: "2" }) : el("input", { id, name: "consent_" + key, autocomplete: "off" });
      return [key, title, most, input, el("p", { class: "field" }, el("label", { for: id }, title), el("br"), input)];
    });
    const consent = el("fieldset", { hidden: "" }, el("legend", {}, "自行选定的同意（财政部令第87号 第四十八条）"),
      ...consentInputs.map(([, , , , node]) => node));
    selection.addEventListener("change", () => { consent.hidden = selection.value !== "chosen"; });
    const entry = { kind: "expert", signed: null, checked: null, pending: null };
    // The 签名码 is checked against the report as the form now stands; a later change of the
    // date or results makes it stale, and problems() says so.
    const take = async () => {
      const signed = signatureOf(code.value);
      entry.signed = signed;
      entry.checked = null;
      if (!signed) { who.textContent = ""; return; }
      const now = report();
      if (!now) { who.textContent = `${signed.name}（${signed.actor}）：请先填好评审日期和评审结果再核验签名`; return; }
      const text = canonical(now);
      entry.pending = text;
      const ok = await verifies(signed, now);
      if (entry.pending !== text || entry.signed !== signed) return;
      entry.pending = null;
      entry.checked = ok ? text : "";
      who.textContent = ok ? `${signed.name}（${signed.actor}）已签署本评审报告` : `${signed.name}（${signed.actor}）的签名与本评审报告不符`;
    };
    code.addEventListener("input", take);
    entry.recheck = take;
    entry.row = el("li", {},
      el("p", { class: "field" }, el("label", { for: codeId }, "评审专家签名码"), el("br"), code, el("br"), who, el("br"), slot),
      el("p", { class: "field" }, el("label", { for: selectId }, "产生方式"), el("br"), selection),
      consent, remove(entry));
    entry.read = () => {
      if (!entry.signed) return undefined;
      const s = entry.signed;
      const member = { name: s.name, role: "expert", actor: s.actor, key: s.key, signature: s.signature, selection: selection.value };
      if (selection.value === "chosen" && consentInputs.some(([, , , input]) => input.value.trim())) {
        member.consent = Object.fromEntries(consentInputs.map(([key, , , input]) => [key, input.value.trim()]));
      }
      return member;
    };
    entry.problems = (at) => {
      slot.dataset.field = at;
      if (!code.value.trim()) return [[at, "请粘贴评审专家签署评审报告后得到的签名码"]];
      if (!entry.signed) return [[at, "签名码不完整或有误，请从评审专家的签署页重新复制"]];
      const now = report();
      if (entry.pending != null || (now && entry.checked === null)) return [[at, "正在核验签名码，请稍候再核对"]];
      if (!now || entry.checked !== canonical(now)) return [[at, "签名码与现在填写的评审日期或评审结果不符：内容改动后，请评审专家重新签署"]];
      if (selection.value === "chosen" && consentInputs.some(([, , , input]) => input.value.trim())) {
        return consentInputs.filter(([, , most, input]) => !input.value.trim() || input.value.trim().length > most)
          .map(([, title, most]) => [at, `${title}：应为1到${most}个字`]);
      }
      return [];
    };
    members.push(entry);
    rows.append(entry.row);
    code.focus();
  };

  const addRepresentative = () => {
    const id = nextId();
    const input = el("input", { id, name: "representative_name", autocomplete: "off" });
    const slot = el("span", { class: "field-error", "data-field": "" });
    const entry = { kind: "representative" };
    entry.row = el("li", {}, el("p", { class: "field" }, el("label", { for: id }, "采购人代表姓名"), el("br"), input, el("br"), slot), remove(entry));
    entry.read = () => (input.value.trim() ? { name: input.value.trim(), role: "representative" } : undefined);
    entry.problems = (at) => {
      slot.dataset.field = at;
      const name = input.value.trim();
      return name && name.length <= 50 ? [] : [[at, "采购人代表姓名：应为1到50个字"]];
    };
    members.push(entry);
    rows.append(entry.row);
    input.focus();
  };

  const moreExperts = el("button", { type: "button" }, "添加评审专家");
  moreExperts.addEventListener("click", addExpert);
  const moreRepresentatives = el("button", { type: "button" }, "添加采购人代表");
  moreRepresentatives.addEventListener("click", addRepresentative);
  const node = el("fieldset", { class: "committee" }, el("legend", {}, label),
    el("p", { class: "muted" }, "评审专家须在登记的评审专家中产生，各自用本人密钥签署评审报告；名单在本浏览器密封后提交，结果公告时公开。"),
    makeLink, linkBox, rows, moreExperts, " ", moreRepresentatives, el("br"), error);

  const read = () => {
    const list = members.map((m) => m.read()).filter((m) => m !== undefined);
    return list.length ? list : undefined;
  };
  const problems = () => {
    const found = members.flatMap((m, i) => m.problems(`${path}[${i}]`));
    const list = read() || [];
    const names = list.map((m) => m.name);
    if (new Set(names).size !== names.length) found.push([path, "名单中有重名的成员"]);
    const experts = list.filter((m) => m.role === "expert").map((m) => m.actor);
    if (new Set(experts).size !== experts.length) found.push([path, "同一位评审专家签名码出现了两次"]);
    return found;
  };
  // A report changed after the codes were pasted: check them again against the new one.
  const recheck = () => members.forEach((m) => m.recheck?.());
  document.addEventListener("change", (event) => { if (!node.contains(event.target)) recheck(); });
  const summary = (value) => {
    const experts = value.filter((m) => m.role === "expert")
      .map((m) => `${m.name}（${SELECTIONS.find(([v]) => v === m.selection)?.[1] || "产生方式未说明"}）`);
    const representatives = value.filter((m) => m.role === "representative").map((m) => m.name);
    return `评审专家${experts.length}人：${experts.join("、")}` + (representatives.length ? `；采购人代表${representatives.length}人：${representatives.join("、")}` : "");
  };
  return { node, read, sealed: true, path, title: label.replace("（选填）", ""), summary, problems, recheck };
}
