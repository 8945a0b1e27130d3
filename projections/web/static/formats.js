// 阳光采购账本: how a notice page writes its entry's values, the twin of the formats of
// projections/web/shown.py (tests/e2e/test_browser_fields.py runs both on the same values).
// verify.js formats the verified leaf's value with the format an element names and compares
// it with the element's text. A value a format cannot write throws an Error saying why.
"use strict";

(() => {
  const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
  const AMOUNT = /^(0|[1-9][0-9]*)\.([0-9]{2})$/;
  const thousands = (digits) => digits.replace(/\B(?=([0-9]{3})+(?![0-9]))/g, ",");
  const refuse = (message) => {
    throw new Error(message);
  };

  const text = (value) => (typeof value === "string" ? value : refuse("不是文字"));

  // 2026-05-08 → 2026年5月8日; anything that is not a day of the calendar as it is.
  function chineseDate(value) {
    const m = DATE.exec(text(value));
    if (!m) return value;
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(Date.UTC(2000, month - 1, day));
    date.setUTCFullYear(year);
    if (year < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return value;
    return `${year}年${month}月${day}日`;
  }

  // "1234567.89" → ¥1,234,567.89（123.46万元）: 万元 rounded half up to two decimals.
  function amount(value) {
    const m = AMOUNT.exec(text(value));
    if (!m) refuse(`金额“${value}”格式错误`);
    const fen = BigInt(m[1]) * 100n + BigInt(m[2]);
    const hundredths = (fen + 5000n) / 10000n;
    const wan = `${thousands((hundredths / 100n).toString())}.` +
      (hundredths % 100n).toString().padStart(2, "0");
    return `¥${thousands(m[1])}.${m[2]}（${wan}万元）`;
  }

  // A label of the vocabulary (static/vocabulary.json); an unknown value as it is.
  const label = (kind) => (value, vocabulary) => {
    const v = text(value);
    const table = vocabulary[kind];
    return v !== "" && Object.prototype.hasOwnProperty.call(table, v) ? table[v] : v;
  };

  const FORMATS = {
    text,
    date: chineseDate,
    amount,
    passed: (value) => (typeof value === "boolean" ? (value ? "合格" : "不合格") : refuse("不是真假值")),
    yes_no: (value) => (typeof value === "boolean" ? (value ? "是" : "否") : refuse("不是真假值")),
    category: label("category"),
    method: label("method"),
    announcement: label("announcement"),
    member_role: label("member_role"),
    expert_selection: label("expert_selection"),
    selection: label("selection"),
    sme_policy: label("sme_policy"),
    percent: (value) => (Number.isInteger(value) ? `${value}%` : refuse("不是整数百分比")),
  };

  function format(name, value, vocabulary) {
    if (!Object.prototype.hasOwnProperty.call(FORMATS, name)) refuse(`格式“${name}”未知`);
    return FORMATS[name](value, vocabulary);
  }

  globalThis.SunshineFormats = Object.freeze({ format, names: Object.freeze(Object.keys(FORMATS)) });
})();
