// 阳光采购账本: an administrator's enrolment of its organisation's people and keys on the
// workbench (templates/workbench/home.html). Each action is a registry command signed here
// with the key the official signed in with (held in this browser: workbench-keys.js) and
// posted to /commands, as `sunshine submit` would.
import { SigningError, signedBody } from "./signing.js";
import { heldKey } from "./workbench-keys.js";

const section = document.getElementById("staff");
const status = document.getElementById("enrol-status");
const say = (text) => { status.textContent = text; };

// The ledger's refusals, in the page's words.
const REFUSALS = {
  forbidden: "无权办理：只有本单位管理员或财政部门可以登记、吊销本单位人员的密钥。",
  exists: "该人员编号或公钥已经登记过。",
  unknown_actor: "该人员尚未登记。",
  unknown_organisation: "该单位尚未登记。",
  bad_public_key: "公钥有误：须为 Ed25519 公钥（32 字节）的 Base64 编码。",
  already_revoked: "该密钥已经吊销。",
  revoked_key: "您登录所用的密钥已吊销，不能再签名。",
  unknown_key: "您登录所用的密钥未登记，不能签名。",
};

// The fields these forms fill, as the page names them, for the schema's field errors.
const FIELDS = {
  "payload.code": "人员编号", "payload.name": "姓名", "payload.actor": "人员",
  "payload.public_key": "公钥", "payload.key_id": "密钥", "payload.reason": "吊销理由",
};

// Every field error of a 422 at once: "公钥有误：应为……；姓名有误：……".
const fieldErrors = (reply) => (reply.errors || [])
  .map((e) => `${FIELDS[e.field] || "填写内容"}有误：${e.message}`).join("；");

async function record(type, payload) {
  say("");
  const held = await heldKey(section.dataset.key);
  if (!held) {
    throw new SigningError("本浏览器没有保存您登录所用的密钥，无法签名：请在保存该密钥的浏览器中办理。");
  }
  say("正在签名并提交……");
  const body = await signedBody(held, section.dataset.actor, type, null, payload);
  const answer = await fetch("/commands", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body,
  });
  const reply = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    throw new SigningError(
      REFUSALS[reply.code] || fieldErrors(reply) || "提交被拒绝，请检查填写的内容。");
  }
  const index = reply.events?.[0]?.leaf_index;
  const next = new URLSearchParams(location.search);
  next.set("recorded", index ?? "");
  location.assign("/workbench?" + next.toString());
}

const on = (id, payloadOf, type) => {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await record(type, payloadOf(form.elements));
    } catch (error) {
      say(error instanceof SigningError ? error.message : "操作失败：" + error.message);
    }
  });
};

on("register-actor", (f) => ({
  code: f.namedItem("code").value.trim(), name: f.namedItem("name").value.trim(),
  organisation: section.dataset.organisation, role: section.dataset.kind,
}), "RegisterActor");
on("register-key", (f) => ({
  actor: f.namedItem("actor").value, public_key: f.namedItem("public_key").value.replace(/\s+/g, ""),
}), "RegisterKey");
on("revoke-key", (f) => ({
  key_id: f.namedItem("key_id").value, reason: f.namedItem("reason").value.trim(),
}), "RevokeKey");
