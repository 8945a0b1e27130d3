// 阳光采购账本: the workbench's sign-in (templates/workbench/sign_in.html). An official's key
// is imported from a PEM file or generated here, and held in this browser (workbench-keys.js);
// signing in signs the server's one-time challenge with it. Only the signature is sent.
import { SigningError, generateKey, readKey, signedBody } from "./signing.js";
import { dropKey, heldKeys, holdKey } from "./workbench-keys.js";

const status = document.getElementById("status");
const say = (text) => { status.textContent = text; };
const ACTOR = /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/;

// The ledger's refusals of a sign-in, in the page's words.
const REFUSALS = {
  unknown_key: "此密钥尚未登记给该人员：请本单位管理员或财政部门先登记公钥。",
  revoked_key: "此密钥已吊销，不能再用于登录或签名。",
  bad_signature: "签名无效：密钥与登记的公钥不符。",
};

async function signIn(held) {
  say("");
  const got = await fetch("/workbench/challenge", { headers: { Accept: "application/json" } });
  if (!got.ok) throw new SigningError("无法取得挑战码，请稍后再试。");
  const { challenge } = await got.json();
  const body = await signedBody(held, held.actor, "SignIn", null, { challenge });
  say("正在登录……");
  const answer = await fetch("/workbench/session", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body,
  });
  if (!answer.ok) {
    const refusal = await answer.json().catch(() => ({}));
    throw new SigningError(REFUSALS[refusal.code] || refusal.message_zh || `登录被拒绝（${answer.status}）。`);
  }
  location.assign("/workbench");
}

const actorOf = (input) => {
  const actor = input.value.trim();
  if (!ACTOR.test(actor)) {
    input.focus();
    throw new SigningError("人员编号须为小写字母、数字和连字符（3 至 64 个字符）。");
  }
  return actor;
};

const attempt = (work) => async (event) => {
  event?.preventDefault();
  try {
    await work(event);
  } catch (error) {
    say(error instanceof SigningError ? error.message : "操作失败：" + error.message);
  }
};

function button(text, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", attempt(onClick));
  return b;
}

async function showHeld() {
  const list = document.getElementById("held-keys");
  const keys = await heldKeys();
  document.getElementById("held-empty").hidden = keys.length > 0;
  list.replaceChildren(...keys.map((held) => {
    const item = document.createElement("li");
    item.dataset.keyId = held.keyId;
    const who = document.createElement("span");
    who.textContent = `人员 ${held.actor}，密钥编号 ${held.keyId}`;
    item.append(
      who,
      button("用此密钥登录", `用人员 ${held.actor} 的密钥 ${held.keyId} 登录`, () => signIn(held)),
      button("从本浏览器删除", `从本浏览器删除密钥 ${held.keyId}`, async () => {
        await dropKey(held.keyId);
        say(`已从本浏览器删除密钥 ${held.keyId}。`);
        await showHeld();
      }),
    );
    return item;
  }));
}

const importing = document.getElementById("import-key");
importing.addEventListener("submit", attempt(async () => {
  const actor = actorOf(importing.elements.actor);
  const signer = await readKey(importing.elements.key.files[0]);
  const held = { ...signer, actor };
  await holdKey(held);
  importing.reset();
  await showHeld();
  await signIn(held);
}));

const generating = document.getElementById("generate-key");
generating.addEventListener("submit", attempt(async () => {
  const actor = actorOf(generating.elements.actor);
  const held = { ...(await generateKey()), actor };
  await holdKey(held);
  document.getElementById("generated-actor").textContent = actor;
  document.getElementById("generated-id").textContent = held.keyId;
  document.getElementById("generated-public").textContent = held.publicKey;
  document.getElementById("generated").hidden = false;
  say("密钥已生成。公钥登记后即可登录。");
  await showHeld();
}));

showHeld().catch(() => say("此浏览器无法保存密钥（IndexedDB 不可用），请改用密钥文件。"));
