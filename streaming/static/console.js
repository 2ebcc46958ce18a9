// 主播台: live order cards (replayed from the last seq the page saw: nothing lost, nothing twice), the numbers
// header, sound/vibration on paid orders, the screen kept awake while live, and actions without a reload.
(() => {
  const root = document.getElementById("console");
  const sid = root.dataset.session;
  const labels = window.ORDER_LABELS || {};
  const PAID = new Set(["paid", "packed", "shipped", "completed"]);
  const GONE = new Set(["expired", "cancelled", "refunded"]);
  let seq = Number(root.dataset.lastSeq);  // the cards above are current up to here
  let socket = null, backoff = 1000, lastMessage = Date.now();
  const $ = (sel, el = document) => el.querySelector(sel);
  const fen = (n) => "¥" + (n / 100).toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  const state = (text) => { $("#feed-state").textContent = text; };

  // ---- toast
  let toastTimer = null;
  function toast(text, bad = false) {
    let el = $(".toast");
    if (!el) { el = document.createElement("div"); el.className = "toast"; el.setAttribute("role", "status"); document.body.append(el); }
    el.textContent = text; el.classList.toggle("bad", bad); el.hidden = false;
    clearTimeout(toastTimer); toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
  }

  // ---- sound and vibration on a new paid order (a toggle, remembered; browsers need a tap before audio)
  const toggle = $("#sound-toggle");
  let soundOn = localStorage.getItem("cy-console-sound") === "on", audio = null;
  function showToggle() { toggle.hidden = false; toggle.textContent = soundOn ? "提示音：开" : "提示音：关"; toggle.setAttribute("aria-pressed", String(soundOn)); }
  toggle.addEventListener("click", () => {
    soundOn = !soundOn; localStorage.setItem("cy-console-sound", soundOn ? "on" : "off"); showToggle();
    if (soundOn) ding();
  });
  function ding() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const t = audio.currentTime;
      for (const [i, f] of [[0, 880], [1, 1320]]) {
        const osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = f; osc.connect(gain); gain.connect(audio.destination);
        gain.gain.setValueAtTime(0.25, t + i * 0.15); gain.gain.exponentialRampToValueAtTime(0.001, t + i * 0.15 + 0.14);
        osc.start(t + i * 0.15); osc.stop(t + i * 0.15 + 0.15);
      }
    } catch (e) { /* no audio on this device: vibration and the card still tell */ }
  }
  function announcePaid() {
    if (!soundOn) return;
    ding();
    if (navigator.vibrate) navigator.vibrate([120, 60, 120]);
  }
  showToggle();

  // ---- order cards
  function card(d, fresh) {
    let el = document.querySelector(`.oc[data-order="${CSS.escape(d.order_no)}"]`);
    if (!el) {
      $("#ticker .empty")?.remove();
      el = document.createElement("article");
      el.className = "oc"; el.dataset.order = d.order_no;
      el.innerHTML = '<div class="oc-top"><span class="oc-item"></span><span class="oc-qty"></span><b class="oc-amt"></b></div>'
        + '<div class="oc-sub"><span class="who"></span><span class="oc-st"></span><time></time></div>';
      $("time", el).textContent = new Date().toLocaleTimeString("zh-CN", {hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Shanghai"});
      $("#ticker").prepend(el);
      $("#ticker").scrollTop = 0;
    }
    if (fresh) { el.classList.remove("fresh"); void el.offsetWidth; el.classList.add("fresh"); }
    $(".oc-item", el).textContent = d.sku;
    $(".oc-qty", el).textContent = `×${d.quantity}`;
    $(".oc-amt", el).textContent = d.total;
    $(".who", el).textContent = `${d.buyer} ${d.phone}`;
    $(".oc-st", el).textContent = labels[d.status] || d.status;
    el.classList.toggle("paid", PAID.has(d.status));
    el.classList.toggle("gone", GONE.has(d.status));
  }
  function stock(pool, left) {
    document.querySelectorAll(`[data-pool="${pool}"]`).forEach((el) => {
      el.textContent = left;
      const low = left <= Number(el.dataset.low || 0);
      el.classList.toggle("low", low);
    });
    document.querySelectorAll(`[data-low-flag="${pool}"]`).forEach((el) => {
      el.hidden = left > Number($(`[data-pool="${pool}"]`)?.dataset.low || 0);
      el.textContent = left === 0 ? "已售罄" : "库存紧张";
    });
  }
  function apply(e, live) {
    const d = e.data;
    if (e.kind.startsWith("order_")) card(d, live);
    if (e.kind === "order_paid") {
      if (d.gmv_fen !== undefined) $("#gmv").textContent = fen(d.gmv_fen);
      if (live) announcePaid();
    }
    if (e.kind === "stock") stock(d.pool_id, d.remaining);
    if (e.kind !== "stock") refreshSoon();  // the numbers, flash sales, shelf: redrawn from the server
  }

  // ---- the feed (host socket, replay after seq)
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${proto}://${location.host}/ws/live/${sid}/feed?after=${seq}`);
    socket.onopen = () => { state("● 实时"); backoff = 1000; };
    socket.onmessage = (msg) => {
      lastMessage = Date.now();
      const m = JSON.parse(msg.data);
      if (m.type === "events") for (const e of m.events) { if (e.seq > seq) { apply(e, true); seq = e.seq; } }
    };
    socket.onclose = (ev) => {
      state(ev.code === 4400 ? "正在从头同步…" : "连接断开，正在重连…");
      if (ev.code === 4400) seq = 0;
      socket = null;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    if (!socket || Date.now() - lastMessage > 20000) { socket?.close(); if (!socket) connect(); }
    wake();
  });
  setInterval(() => { if (socket && Date.now() - lastMessage > 40000) socket.close(); }, 5000);

  // ---- redraw the numbers and the controls from the page itself (no reload, no jump to the top)
  let refreshTimer = null, refreshing = false;
  // At most one redraw per second and a half, however fast orders come (a busy flash sale must not starve it).
  function refreshSoon() {
    if (!refreshTimer) refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 1500);
  }
  async function refresh() {
    if (refreshing) return refreshSoon();
    refreshing = true;
    try {
      const html = await (await fetch(location.pathname, {headers: {"x-requested-with": "fetch"}})).text();
      const doc = new DOMParser().parseFromString(html, "text/html");
      // While the host is typing in a form (or has typed and looked away), only the numbers are redrawn;
      // checked after the fetch, so a redraw asked for before they began typing cannot wipe what they typed.
      const busy = Boolean(document.querySelector("#controls :is(input, select, textarea):focus")) || typedIn();
      // keep open what the host opened, by its title (a redraw may add a section above it)
      const title = (d) => d.querySelector("summary")?.textContent.trim();
      const open = new Set([...document.querySelectorAll("#controls details[open]")].map(title));
      for (const id of busy ? ["hud-nums", "state-badge"] : ["hud-nums", "controls", "state-badge"]) {
        const fresh = doc.getElementById(id);
        if (fresh) document.getElementById(id).replaceWith(fresh);
      }
      document.querySelectorAll("#controls details").forEach((d) => { if (open.has(title(d))) d.open = true; });
      root.dataset.state = doc.getElementById("console")?.dataset.state || root.dataset.state;
      wake(); tickFlash();
      if (busy) refreshSoon();  // the controls follow once the form is sent or left as it was
    } finally { refreshing = false; }
  }
  // a select with no option marked selected starts on its first option
  const initial = (sel) => ([...sel.options].find((o) => o.defaultSelected) || sel.options[0])?.value;
  function typedIn() {
    return [...document.querySelectorAll("#controls form")].some((f) => [...f.elements].some((el) =>
      el.tagName === "SELECT" ? el.value !== initial(el)
        : el.type !== "hidden" && "defaultValue" in el && el.value !== el.defaultValue));
  }

  // ---- actions through fetch; the plain form post stays as the no-JS path
  const dialog = $("#end-dialog");
  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!form.matches("form[data-js]")) return;
    ev.preventDefault();
    if (form.dataset.confirm === "end") {
      dialog.returnValue = "";
      dialog.showModal();
      const answer = await new Promise((ok) => dialog.addEventListener("close", () => ok(dialog.returnValue), {once: true}));
      if (answer !== "end") { toast("直播继续"); return; }
    }
    const body = new URLSearchParams(new FormData(form));
    if (form.dataset.confirm === "end") body.set("confirm", "yes");
    form.querySelectorAll(".field-error").forEach((el) => el.remove());
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      // form.action would be the input named "action": read the attribute
      const res = await fetch(form.getAttribute("action"), {method: "POST", body, headers: {
        "x-requested-with": "fetch", "x-csrftoken": body.get("_csrf_token") || ""}});
      const out = await res.json().catch(() => ({ok: false, message: "网络有问题，请再试一次"}));
      if (!out.ok) {
        toast(out.message, true);
        const field = out.field && (form.querySelector(`[name="${out.field}"]`) || form.querySelector(`[name="${out.field.replace(/_fen$/, "")}"]`));
        if (field) {
          field.setAttribute("aria-invalid", "true");
          const note = document.createElement("span");
          note.className = "field-error"; note.setAttribute("role", "alert"); note.textContent = out.message;
          field.after(note); field.focus();
        }
        return;
      }
      toast(out.message);
      if (form.closest("details")) form.reset();
      await refresh();
    } finally { if (button) button.disabled = false; }
  });

  // ---- keep the screen on while live
  let lock = null;
  async function wake() {
    if (root.dataset.state !== "live" || !("wakeLock" in navigator) || document.visibilityState !== "visible") {
      if (lock && root.dataset.state !== "live") { lock.release(); lock = null; }
      return;
    }
    if (lock) return;
    try { lock = await navigator.wakeLock.request("screen"); lock.addEventListener("release", () => { lock = null; }); }
    catch (e) { /* refused (battery saver): the page still works */ }
  }

  // ---- flash-sale clocks: mm:ss, and the state follows the clock (the server decides what sells)
  const mmss = (ms) => { const s = Math.max(0, Math.ceil(ms / 1000)); return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`; };
  function tickFlash() {
    const now = Date.now();
    document.querySelectorAll(".flash-row").forEach((row) => {
      if (row.dataset.state === "closed") return;
      const opens = Date.parse(row.dataset.opens), closes = Date.parse(row.dataset.closes);
      const label = $(".flash-state", row);
      if (now < opens) label.textContent = `${mmss(opens - now)} 后开抢`;
      else if (now < closes) label.textContent = `抢购中 还剩 ${mmss(closes - now)}`;
      else label.textContent = "已结束";
    });
  }
  setInterval(tickFlash, 1000);
  // 在线 is summed across app processes every ~10 s on the server: redraw the numbers as often while live
  setInterval(() => { if (root.dataset.state === "live" && document.visibilityState === "visible") refreshSoon(); }, 10000);
  tickFlash();
  wake();
  connect();
})();
