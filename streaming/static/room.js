// The buyer's live room: tap a card → a bottom sheet (fetched from the server, so the no-JS links work the
// same), the address remembered on this phone, a pasted "name phone address" split into the fields, live
// stock, 讲解中 first, new cards drawn in place (no reload), flash-sale clocks in mm:ss, sharing and 长辈模式.
(() => {
  const room = document.getElementById("live-room");
  const sid = room.dataset.session;
  const $ = (sel, el = document) => el.querySelector(sel);
  const KEEP = ["name", "phone", "province", "city", "county", "detail"];

  // ---- 长辈模式 (large text), remembered on this phone
  const elder = $("#elder");
  const setElder = (on) => { document.body.classList.toggle("elder", on); elder.textContent = on ? "标准字体" : "长辈模式"; };
  setElder(localStorage.getItem("cy-elder") === "on");
  elder.addEventListener("click", () => {
    const on = !document.body.classList.contains("elder");
    localStorage.setItem("cy-elder", on ? "on" : "off"); setElder(on);
  });

  // ---- share: the system sheet on phones, else copy the link
  $("#share").addEventListener("click", async (ev) => {
    const b = ev.currentTarget, data = {title: b.dataset.title, url: b.dataset.url};
    try {
      if (navigator.share) await navigator.share(data);
      else { await navigator.clipboard.writeText(data.url); b.textContent = "链接已复制"; }
    } catch (e) { if (e.name !== "AbortError") prompt("复制这个链接分享：", data.url); }
  });

  // ---- the sheet
  function initSheet() {
    const form = $("#buy-form");
    if (!form) return;
    const saved = JSON.parse(localStorage.getItem("cy-address") || "{}");
    for (const k of KEEP) { const f = form.elements[k]; if (f && !f.value && saved[k]) f.value = saved[k]; }
    form.addEventListener("submit", () => {
      const keep = {}; for (const k of KEEP) if (form.elements[k]) keep[k] = form.elements[k].value.trim();
      localStorage.setItem("cy-address", JSON.stringify({...saved, ...keep}));
    });
    const qty = form.elements.quantity;
    form.querySelectorAll("[data-step]").forEach((b) => b.addEventListener("click", () => {
      const most = Number(qty.max || 99);
      qty.value = Math.min(most, Math.max(1, Number(qty.value || 1) + Number(b.dataset.step)));
    }));
    $("#paste")?.addEventListener("input", (ev) => fillFrom(ev.target.value, form));
    $("#shade")?.addEventListener("click", closeSheet);
    $("#sheet-close")?.addEventListener("click", (ev) => { ev.preventDefault(); closeSheet(); });
    ($("[aria-invalid=true]", form) || null)?.focus();
  }
  function closeSheet() {
    $("#sheet")?.remove(); $("#shade")?.remove();
    history.replaceState(null, "", location.pathname);
  }
  document.addEventListener("click", async (ev) => {
    const card = ev.target.closest("a.pcard");
    if (!card) return;
    ev.preventDefault();
    const html = await (await fetch(card.getAttribute("href"))).text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    closeSheet();
    for (const id of ["shade", "sheet"]) { const el = doc.getElementById(id); if (el) document.querySelector("main").append(el); }
    history.replaceState(null, "", card.getAttribute("href").split("#")[0]);
    initSheet();
  });

  // "张三 13800001234 内蒙古鄂尔多斯市鄂托克旗乌兰镇…" → the fields
  function fillFrom(text, form) {
    const phone = text.match(/1[3-9]\d{9}/);
    if (!phone) return;
    const set = (k, v) => { if (v && form.elements[k]) form.elements[k].value = v.trim(); };
    set("phone", phone[0]);
    const parts = text.replace(phone[0], " ").replace(/[，,;；:：]/g, " ").split(/\s+/).filter(Boolean);
    const addrIdx = parts.findIndex((p) => p.length >= 6 || /(省|自治区|市|县|旗|区|镇)/.test(p));
    const name = parts.find((p, i) => i !== addrIdx && p.length <= 6);
    set("name", name);
    let rest = parts.filter((p, i) => i >= addrIdx && p !== name).join("");
    const select = form.elements.province;
    for (const opt of select.options) {
      const short = opt.value.replace(/(省|市|自治区|壮族|回族|维吾尔|特别行政区)/g, "");
      if (rest.startsWith(opt.value) || (short.length >= 2 && rest.startsWith(short))) {
        select.value = opt.value;
        rest = rest.slice(rest.startsWith(opt.value) ? opt.value.length : short.length).replace(/^(省|自治区|市)/, "");
        break;
      }
    }
    const city = rest.match(/^(.+?(市|盟|地区|自治州))/);
    if (city) { set("city", city[1]); rest = rest.slice(city[1].length); }
    const county = rest.match(/^(.+?(区|县|旗|市))/);
    if (county) { set("county", county[1]); rest = rest.slice(county[1].length); }
    set("detail", rest);
  }

  // ---- live stock and the pinned card, from the public viewer channel (no buyer data on it)
  let backoff = 1000;
  function pin(itemId) {
    document.querySelectorAll(".shelf-item").forEach((el) => {
      const on = el.id === `item-${itemId}`;
      el.classList.toggle("pinned", on);
      el.querySelector(".pin-flag")?.remove();
      if (on) { $(".body", el).insertAdjacentHTML("afterbegin", '<span class="pin-flag">讲解中</span>'); el.parentNode.prepend(el); }
    });
  }
  function stock(pool, left) {
    document.querySelectorAll(`[data-pool="${pool}"]`).forEach((el) => { el.textContent = left; });
    document.querySelectorAll(`[data-taken="${pool}"]`).forEach((el) => {
      const cap = Number(el.dataset.cap); el.textContent = cap - left;
      const bar = $(`[data-bar="${pool}"]`); if (bar) bar.style.width = `${Math.floor((cap - left) * 100 / cap)}%`;
    });
  }
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${proto}://${location.host}/ws/live/${sid}/viewers`);
    socket.onopen = () => { backoff = 1000; };
    socket.onmessage = (msg) => {
      const m = JSON.parse(msg.data);
      // "hello" comes once the server has joined this viewer: every update from now on reaches this page
      if (m.type === "hello") room.dataset.live = "1";
      if (m.type !== "update") return;
      for (const [pool, left] of Object.entries(m.stock)) stock(pool, left);
      for (const e of m.events) {
        if (e.kind === "pinned") pin(e.data.item_id);
        else if (e.kind !== "stock") redrawSoon();  // a new sale or shelf item, a sale or the show ending
      }
    };
    socket.onclose = () => { delete room.dataset.live; setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000); };
  }

  // ---- the cards redrawn in place from the page itself: an open sheet and what was typed stay as they are
  let redrawTimer = null;
  function redrawSoon() {
    if (!redrawTimer) redrawTimer = setTimeout(() => { redrawTimer = null; redraw(); }, 300);
  }
  const cardNames = () => new Map([...document.querySelectorAll("[data-pool-card]")].map(
    (el) => [el.dataset.poolCard, $("b", el)?.textContent.trim() || ""]));
  async function redraw() {
    const res = await fetch(location.pathname);
    if (!res.ok) return redrawSoon();
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const before = cardNames(), stateBefore = $("#room-state")?.textContent;
    for (const id of ["room-state", "state-note", "flash-cards", "shelf-cards"]) {
      const fresh = doc.getElementById(id), old = document.getElementById(id);
      if (fresh && old) old.replaceWith(fresh);
    }
    const added = [...cardNames()].filter(([pool]) => !before.has(pool)).map(([, name]) => name);
    const ended = [...before].filter(([pool]) => !document.querySelector(`[data-pool-card="${pool}"]`)).map(([, name]) => name);
    if (added.length) toast(`新上：${added.join("、")}`);
    else if (ended.length) toast(`已结束：${ended.join("、")}`);
    else if ($("#room-state")?.textContent !== stateBefore) toast(`本场直播：${$("#room-state").textContent}`);
    tick();
  }
  let toastTimer = null;
  function toast(text) {
    let el = $(".toast");
    if (!el) { el = document.createElement("div"); el.className = "toast"; el.setAttribute("role", "status"); document.body.append(el); }
    el.textContent = text; el.hidden = false;
    clearTimeout(toastTimer); toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
  }

  // ---- flash-sale clocks (the server decides what can actually be bought)
  const mmss = (ms) => { const s = Math.max(0, Math.ceil(ms / 1000)); return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`; };
  function tick() {
    const now = Date.now();
    document.querySelectorAll(".pcard.flash").forEach((el) => {
      const opens = Date.parse(el.dataset.opens), closes = Date.parse(el.dataset.closes);
      const label = $(".countdown", el);
      if (now < opens) label.textContent = `${mmss(opens - now)} 后开抢`;
      else if (now < closes) label.textContent = `抢购中 ${mmss(closes - now)}`;
      else label.textContent = "秒杀已结束";
    });
  }
  tick(); setInterval(tick, 1000);
  initSheet();
  connect();
  room.dataset.ready = "1";  // every handler is bound: the tests (and nothing else) wait for this
})();
