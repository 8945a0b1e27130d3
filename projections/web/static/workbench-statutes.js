// 阳光采购账本: a finance office's adoption of the working calendar or the time-limit table
// (templates/workbench/statutes.html). A chosen file is read here into the form, which the
// server parses and answers with its proposal; the proposal's payload, exactly as the server
// built it and the page shows it, is signed with the key the official signed in with (held
// in this browser: workbench-keys.js) and posted to /commands.
import { SigningError, signedBody } from "./signing.js";
import { heldKey } from "./workbench-keys.js";

const status = document.getElementById("statute-status");
const say = (text) => { status.textContent = text; };

const file = document.getElementById("file");
file.addEventListener("change", async () => {
  const chosen = file.files && file.files[0];
  if (!chosen) return;
  if (chosen.size > 64 * 1024) { say("文件过大：最多 64 KiB。"); return; }
  document.getElementById("text").value = await chosen.text();
  document.getElementById("name").value = chosen.name;
  say(`已读入文件“${chosen.name}”，请点击“读取文件”。`);
});

const proposal = document.getElementById("proposal");
const sign = document.getElementById("sign");
if (proposal && sign) {
  sign.addEventListener("click", async () => {
    try {
      const held = await heldKey(proposal.dataset.key);
      if (!held) {
        throw new SigningError("本浏览器没有保存您登录所用的密钥，无法签名：请在保存该密钥的浏览器中办理。");
      }
      sign.disabled = true;
      say("正在签名并提交……");
      const payload = JSON.parse(proposal.dataset.payload);
      const body = await signedBody(held, proposal.dataset.actor, proposal.dataset.kind, null, payload);
      const answer = await fetch("/commands", {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body,
      });
      const reply = await answer.json().catch(() => ({}));
      if (!answer.ok) {
        const listed = (reply.errors || []).map((e) => `${e.field}：${e.message}`).join("；");
        throw new SigningError("账本拒绝了这项采纳：" + (listed || reply.message_zh || reply.message || `HTTP ${answer.status}`));
      }
      const indices = (reply.events || []).map((e) => e.leaf_index).filter((i) => i != null);
      document.getElementById("receipt-line").textContent = indices.length
        ? `已记入日志：日志序号 ${indices.join("、")}。`
        : "已受理，正在写入日志。";
      document.getElementById("receipt-verify").href = indices.length ? `/log/entries/${indices[0]}` : "/log";
      proposal.hidden = true;
      document.getElementById("receipt").hidden = false;
      say("");
      document.getElementById("receipt-heading").focus?.();
    } catch (error) {
      sign.disabled = false;
      say(error instanceof SigningError ? error.message : "操作失败：" + error.message);
    }
  });
}
