// 阳光采购账本: reading a sealed value on an inspector's procurement history
// (templates/supervision/procurement.html). The page holds no value that is not yet public.
// Each read is a ReadSealed request signed here with the inspector's key file (signing.js)
// and posted to /sealed/read, which records the read in the log (who read which value,
// when) before it answers the value. The key stays in this page's memory.
import { readKey, signedBody, SigningError } from "./signing.js";

const panel = document.getElementById("sealed-reader");
if (panel) {
  const reader = panel.dataset.reader; // the actor code the request is signed as
  const readerName = panel.dataset.readerName || "您"; // who the page says that is
  const keyFile = document.getElementById("read-key-file");
  const status = document.getElementById("read-status");
  const say = (text) => { status.textContent = text; };
  let signer = null; // read from the key file once, for this page only
  keyFile.addEventListener("change", () => { signer = null; say(""); });

  // Why the ledger refused, in Chinese, from its stable code (and the rule it names).
  const refusal = (code, message) => {
    switch (code) {
      case "forbidden":
        return message.includes("sealed.read")
          ? "您无权读取该密封值：只有监督人员、财政部门和密封该值的单位可以读取。"
          : `所选密钥不是 ${readerName} 的登记密钥：请选择您本人的签名密钥文件。`;
      case "unknown_key": return "所选密钥未在财政部门登记：请选择您本人的签名密钥文件。";
      case "revoked_key": return "所选密钥已被吊销，不能再签名读取；请联系财政部门登记新密钥。";
      case "bad_signature": return "签名未通过验证：请重新选择密钥文件后再读取。";
      case "not_found": return "密封库中没有该承诺值对应的密封信息（未知的密封值），未读取，也未记入日志。";
      case "sealed_damaged": return "密封库中的该值已损坏或无法解密，未读取，也未记入日志；请通知系统管理员运行 sunshine verify 核查密封库。";
      case "not_fresh": return "读取请求已过期（签名时间须在 5 分钟之内）：请检查本机时钟，然后重新点击读取。";
      case "replayed_nonce": return "该读取请求已提交过一次（重放），未再次读取：请重新点击读取。";
      case "concurrent_change": return "您的另一次读取正在记录中：请稍后重新点击读取。";
      default: return `读取未完成（${code || "错误"}）：${message || "请稍后再试"}`;
    }
  };
  // The key itself was wrong: choose the file again before the next read.
  const KEY_REFUSALS = new Set(["forbidden", "unknown_key", "revoked_key", "bad_signature"]);

  const grouped = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const shown = (kind, value) => {
    if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join("、");
    const price = kind === "price" && typeof value === "string" && /^(\d+)\.(\d{2})$/.exec(value);
    if (price) return `¥${grouped(price[1])}.${price[2]}`;
    return typeof value === "string" ? value : JSON.stringify(value);
  };

  const element = (tag, text, attributes = {}) => {
    const made = document.createElement(tag);
    if (text !== undefined) made.textContent = text;
    for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
    return made;
  };

  // The value, and the log entry that records this read.
  const showRead = (box, kind, answer) => {
    const result = box.querySelector("[data-read-result]");
    const recorded = (answer.recorded && answer.recorded.events && answer.recorded.events[0]) || {};
    const value = element("p");
    value.append("读取结果：", element("strong", shown(kind, answer.value), { "data-read-value": "" }));
    const entry = element("p", undefined, { "data-read-entry": "" });
    if (Number.isInteger(recorded.leaf_index)) {
      entry.append(`本次读取已记入日志第 ${recorded.leaf_index} 条（查阅密封信息，读取人 ${readerName}）：`,
        element("a", "原始记录", { href: `/log/entries/${recorded.leaf_index}` }), " · ",
        element("a", "包含证明", { href: `/log/proof/inclusion?index=${recorded.leaf_index}&size=${answer.recorded.size}` }));
    } else {
      entry.append(`本次读取已记录（查阅密封信息，读取人 ${readerName}），正在写入日志。`);
    }
    result.replaceChildren(value, entry);
    result.hidden = false;
  };

  const read = async (button) => {
    const box = button.closest("[data-sealed]");
    button.disabled = true;
    try {
      if (!signer) {
        if (!keyFile.files[0]) {
          keyFile.focus();
          throw new SigningError("请先在上方选择您的签名密钥文件（PEM），再点击读取。");
        }
        signer = await readKey(keyFile.files[0]);
      }
      say("正在签名并读取（本次读取将记入日志）……");
      const body = await signedBody(signer, reader, "ReadSealed", null, { commitment: box.dataset.sealed });
      const answer = await fetch("/sealed/read", {
        method: "POST", credentials: "omit",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body,
      });
      const got = await answer.json().catch(() => ({}));
      if (!answer.ok) {
        if (KEY_REFUSALS.has(got.code)) signer = null;
        throw new SigningError(refusal(got.code, got.message));
      }
      if (!("value" in got)) throw new SigningError("读取结果无法识别：请刷新本页后重试。");
      showRead(box, box.dataset.sealedKind, got);
      button.remove(); // read and recorded once; reload the page to read it again
      say("已读取，本次读取已记入日志。");
    } catch (error) {
      button.disabled = false;
      const text = error instanceof SigningError ? error.message
        : error instanceof TypeError ? "读取失败：无法连接服务器，请稍后再试。"
          : `读取失败：${error.message}`;
      say(text);
      const result = box.querySelector("[data-read-result]");
      result.replaceChildren(element("p", text, { class: "finding", "data-read-refused": "" }));
      result.hidden = false;
    }
  };

  for (const button of document.querySelectorAll("[data-read-sealed]")) {
    button.addEventListener("click", () => read(button));
  }
}
