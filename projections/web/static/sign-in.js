// 阳光采购账本: inspector sign-in (templates/supervision/sign_in.html). The key file is read
// and used in this browser only (signing.js): it signs the server's one-time challenge, and
// only the signature is sent.
import { readKey, signedBody } from "./signing.js";

const form = document.getElementById("sign-in");
const status = document.getElementById("sign-in-status");
const say = (text) => { status.textContent = text; };
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const signer = await readKey(form.elements.key.files[0]);
    const got = await fetch("/supervision/challenge", { headers: { Accept: "application/json" } });
    if (!got.ok) throw new Error("无法取得挑战码，请稍后再试。");
    const { challenge } = await got.json();
    const body = await signedBody(signer, form.elements.actor.value.trim(), "SignIn", null, { challenge });
    say("正在登录……");
    const answer = await fetch("/supervision/session", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body,
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
