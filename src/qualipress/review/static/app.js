// qualipress review page. Plain JS, no dependencies, talks only to this server.
"use strict";

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // Keys that toggle each artifact type (the server owns the ids and labels).
  const ARTIFACT_KEYS = {
    banding: "b", blocking: "k", ringing: "r", blur: "l", colour_shift: "c", skin_texture: "t", grain_loss: "g",
  };

  const state = {
    config: null,
    evaluator: null,        // {id, name}
    trial: null,            // server trial description
    score: null,
    artifacts: new Set(),
    shownAt: 0,
    mode: "side",
    view: { s: 1, tx: 0, ty: 0 }, // shared by every layer: synchronised zoom and pan
    wipe: 0.5,
    flickerRight: false,
    flickerTimer: null,
    busy: false,
  };

  // ---------------------------------------------------------------------------------------------- server
  async function api(method, url, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(url, opts);
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (!resp.ok) {
      const err = new Error((data && data.error) || `HTTP ${resp.status}`);
      err.status = resp.status;
      throw err;
    }
    return data;
  }

  function setStatus(text, isError = false) {
    const el = $("#state");
    el.textContent = text;
    el.classList.toggle("error", isError);
  }

  // ---------------------------------------------------------------------------------------------- drafts
  // An unsaved score survives a reload: the server hands back the same open trial, we restore its draft.
  const draftKey = () => state.trial && `qualipress-review-draft:${state.trial.token}`;
  function saveDraft() {
    const key = draftKey();
    if (!key) return;
    try {
      localStorage.setItem(key, JSON.stringify({
        score: state.score, artifacts: [...state.artifacts], comment: $("#comment").value,
      }));
    } catch (e) { /* storage may be disabled */ }
  }
  function loadDraft() {
    const key = draftKey();
    try {
      const d = key && JSON.parse(localStorage.getItem(key) || "null");
      if (d) {
        state.score = Number.isInteger(d.score) ? d.score : null;
        state.artifacts = new Set((d.artifacts || []).filter((a) => a in ARTIFACT_KEYS));
        $("#comment").value = typeof d.comment === "string" ? d.comment : "";
      }
    } catch (e) { /* ignore a corrupt draft */ }
  }
  function dropDraft() { const key = draftKey(); if (key) try { localStorage.removeItem(key); } catch (e) { /* */ } }

  // ---------------------------------------------------------------------------------------------- scoring form
  function buildForm() {
    const scores = $("#scores");
    for (const { value, label } of state.config.scores) {
      const row = document.createElement("label");
      row.className = "opt";
      row.dataset.score = String(value);
      row.innerHTML = `<input type="radio" name="score" value="${value}"><span class="key"><kbd>${value}</kbd></span><span></span>`;
      row.lastElementChild.textContent = label;
      row.querySelector("input").addEventListener("change", () => setScore(value));
      scores.appendChild(row);
    }
    const arts = $("#artifacts");
    const help = [];
    for (const { id, label } of state.config.artifacts) {
      const key = ARTIFACT_KEYS[id] || "";
      const row = document.createElement("label");
      row.className = "opt";
      row.dataset.artifact = id;
      row.innerHTML = `<input type="checkbox" value="${id}"><span class="key"><kbd>${key.toUpperCase()}</kbd></span><span></span>`;
      row.lastElementChild.textContent = label;
      row.querySelector("input").addEventListener("change", () => toggleArtifact(id));
      arts.appendChild(row);
      help.push(`<kbd>${key.toUpperCase()}</kbd> ${label}`);
    }
    $("#artKeys").innerHTML = help.join(" · ");
    $("#transform").textContent = state.config.transform;
  }

  function renderForm() {
    for (const row of $$("#scores .opt")) {
      const on = Number(row.dataset.score) === state.score;
      row.classList.toggle("selected", on);
      row.querySelector("input").checked = on;
    }
    for (const row of $$("#artifacts .opt")) {
      const on = state.artifacts.has(row.dataset.artifact);
      row.classList.toggle("selected", on);
      row.querySelector("input").checked = on;
    }
    $("#submit").disabled = state.score === null || !state.trial || state.busy;
  }

  function setScore(v) { if (!state.trial) return; state.score = v; renderForm(); saveDraft(); }
  function toggleArtifact(id) {
    if (!state.trial) return;
    if (state.artifacts.has(id)) state.artifacts.delete(id); else state.artifacts.add(id);
    renderForm(); saveDraft();
  }

  async function submit() {
    if (!state.trial || state.score === null || state.busy) return;
    state.busy = true; renderForm();
    setStatus("saving…");
    const body = {
      trial: state.trial.token,
      evaluator_id: state.evaluator.id,
      score: state.score,
      artifacts: [...state.artifacts],
      comment: $("#comment").value.trim(),
      elapsed_ms: Math.max(0, Math.round(performance.now() - state.shownAt)),
    };
    try {
      await api("POST", "/api/scores", body);
      dropDraft();
      setStatus(`saved: score ${body.score}`);
      await nextPair();
    } catch (e) {
      if (e.status === 409) {
        // scored differently in another tab, or abandoned after a restart: this pair is settled, move on
        dropDraft();
        setStatus(`not saved: ${e.message}; showing the next pair`, true);
        try { await nextPair(); } catch (e2) { setStatus(`cannot load the next pair: ${e2.message}`, true); }
      } else {
        // nothing is lost: the draft stays and re-sending the same score is idempotent on the server
        setStatus(`not saved: ${e.message} — press Enter to retry`, true);
      }
    } finally {
      state.busy = false; renderForm();
    }
  }

  // ---------------------------------------------------------------------------------------------- pairs
  function showInfo(t) {
    const info = $("#info");
    info.textContent = "";
    if (!t || t.blind || !t.info) {
      if (t && t.blind) info.textContent = "Blind review: which side is the original is random and the codec is hidden.";
      return;
    }
    const dl = document.createElement("dl");
    const add = (k, v) => {
      if (v === null || v === undefined || v === "") return;
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = typeof v === "string" ? v : JSON.stringify(v);
      dl.append(dt, dd);
    };
    add("file", t.info.name);
    add("original", t.info.original);
    add("codec", t.info.codec);
    add("profile", t.info.profile);
    add("parameters", Object.keys(t.info.params || {}).length ? t.info.params : null);
    add("size", t.info.bytes !== null ? `${t.info.bytes.toLocaleString()} bytes` : null);
    const f = t.info.facts || {};
    if (f.ratio) add("ratio", `${Number(f.ratio).toFixed(1)}:1${f.bpp ? ` · ${Number(f.bpp).toFixed(3)} bpp` : ""}`);
    if (f.target_met !== undefined) add("target met", f.target_met ? "yes" : "no");
    const m = Object.entries(t.info.metrics || {});
    add("metrics", m.length ? m.map(([k, v]) => `${k} ${v}`).join(" · ") : null);
    add("display (left)", t.left.transform);
    add("display (right)", t.right.transform);
    info.appendChild(dl);
  }

  function loadImages(t) {
    const loads = [];
    for (const img of $$("img.imgL, img.imgR")) {
      const side = img.classList.contains("imgL") ? t.left : t.right;
      img.width = t.width; img.height = t.height;
      loads.push(new Promise((resolve) => {
        img.onload = img.onerror = () => resolve();
        img.src = side.url;
      }));
    }
    $("#tagL").textContent = t.left.label;
    $("#tagR").textContent = t.right.label;
    return Promise.all(loads);
  }

  async function nextPair() {
    const data = await api("POST", "/api/next", { evaluator_id: state.evaluator.id });
    const p = data.progress;
    $("#progress").textContent = `${p.done} / ${p.total} pairs scored`;
    if (data.done) {
      state.trial = null;
      $("#emptyMsg").textContent = p.total ? "All pairs are scored. Thank you!" : "No pairs to review.";
      $("#empty").classList.remove("hidden");
      $$(".mode").forEach((m) => m.classList.add("hidden"));
      renderForm();
      return;
    }
    $("#empty").classList.add("hidden");
    const t = data.trial;
    const sameSize = state.trial && state.trial.width === t.width && state.trial.height === t.height;
    state.trial = t;
    state.score = null; state.artifacts = new Set(); $("#comment").value = "";
    loadDraft();
    renderForm();
    showInfo(t);
    if (t.size_mismatch) setStatus("warning: the two images differ in size; the compressed one is scaled", true);
    await loadImages(t);
    setMode(state.mode);
    if (!sameSize) fit();
    state.shownAt = performance.now();
    document.body.dataset.trial = t.token;  // lets tests wait for a pair to be on screen
  }

  // ---------------------------------------------------------------------------------------------- view
  const dpr = () => window.devicePixelRatio || 1;
  function visibleVp() { return state.mode === "side" ? $("#vpL") : $("#vpS"); }

  function applyView() {
    const { s, tx, ty } = state.view;
    const css = `translate(${tx}px, ${ty}px) scale(${s})`;
    for (const layer of $$(".layer")) layer.style.transform = css;
    $("#stage").classList.toggle("pixelated", s * dpr() >= 1.5);
    $("#zoomLevel").textContent = `${Math.round(s * dpr() * 100)}%`;
    if (state.mode === "wipe") applyWipe();
  }

  function zoomAt(factor, cx, cy) {
    const v = state.view;
    const s2 = Math.min(64, Math.max(0.02, v.s * factor));
    v.tx = cx - ((cx - v.tx) * s2) / v.s;
    v.ty = cy - ((cy - v.ty) * s2) / v.s;
    v.s = s2;
    applyView();
  }
  function zoomCenter(factor) {
    const r = visibleVp().getBoundingClientRect();
    zoomAt(factor, r.width / 2, r.height / 2);
  }
  function fit() {
    if (!state.trial) return;
    const r = visibleVp().getBoundingClientRect();
    const s = Math.min(r.width / state.trial.width, r.height / state.trial.height);
    state.view = { s, tx: (r.width - state.trial.width * s) / 2, ty: (r.height - state.trial.height * s) / 2 };
    applyView();
  }
  function oneToOne() {
    if (!state.trial) return;
    const r = visibleVp().getBoundingClientRect();
    const v = state.view;
    // keep the image point at the viewport centre where it is
    const ix = (r.width / 2 - v.tx) / v.s, iy = (r.height / 2 - v.ty) / v.s;
    const s = 1 / dpr();
    state.view = { s, tx: r.width / 2 - ix * s, ty: r.height / 2 - iy * s };
    applyView();
  }
  function pan(dx, dy) { state.view.tx += dx; state.view.ty += dy; applyView(); }

  function applyWipe() {
    const r = $("#vpS").getBoundingClientRect();
    const x = Math.round(r.width * state.wipe);
    $("#clipR").style.clipPath = `inset(0 0 0 ${x}px)`;
    $("#wipeLine").style.left = `${x}px`;
    $("#wipe").value = String(Math.round(state.wipe * 1000));
  }

  function applyFlicker() {
    const right = state.flickerRight;
    $("#clipR").classList.toggle("hidden", !right);
    if (state.trial) $("#tagS").textContent = `${right ? state.trial.right.label : state.trial.left.label}`;
  }
  function stopFlicker() { if (state.flickerTimer) clearInterval(state.flickerTimer); state.flickerTimer = null; }
  function playFlicker() {
    stopFlicker();
    const ms = Math.min(5000, Math.max(100, Number($("#flickerMs").value) || 500));
    state.flickerTimer = setInterval(() => { state.flickerRight = !state.flickerRight; applyFlicker(); }, ms);
  }

  function setMode(mode) {
    const before = visibleVp().getBoundingClientRect();
    const v = state.view;
    const ix = (before.width / 2 - v.tx) / v.s, iy = (before.height / 2 - v.ty) / v.s;
    state.mode = mode;
    stopFlicker();
    $("#side").classList.toggle("hidden", mode !== "side");
    $("#single").classList.toggle("hidden", mode === "side");
    $$("[data-mode]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.mode === mode)));
    $("#wipe").classList.toggle("hidden", mode !== "wipe");
    $("#wipeLine").classList.toggle("hidden", mode !== "wipe");
    $("#flickerCtl").classList.toggle("hidden", mode !== "flicker");
    $("#tagS2").classList.toggle("hidden", mode !== "wipe");
    if (mode === "wipe") {
      $("#clipR").classList.remove("hidden");
      if (state.trial) { $("#tagS").textContent = state.trial.left.label; $("#tagS2").textContent = state.trial.right.label; }
    } else if (mode === "flicker") {
      $("#clipR").style.clipPath = "none";
      state.flickerRight = false;
      applyFlicker();
      playFlicker();
    }
    // keep the same image point in the middle of the (possibly wider) viewport
    const after = visibleVp().getBoundingClientRect();
    v.tx = after.width / 2 - ix * v.s; v.ty = after.height / 2 - iy * v.s;
    applyView();
  }

  function bindViewport(vp) {
    let drag = null;
    vp.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY }; vp.setPointerCapture(e.pointerId); vp.classList.add("dragging");
    });
    vp.addEventListener("pointermove", (e) => {
      if (!drag) return;
      pan(e.clientX - drag.x, e.clientY - drag.y); drag = { x: e.clientX, y: e.clientY };
    });
    const end = () => { drag = null; vp.classList.remove("dragging"); };
    vp.addEventListener("pointerup", end);
    vp.addEventListener("pointercancel", end);
    vp.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = vp.getBoundingClientRect();
      zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
  }

  // ---------------------------------------------------------------------------------------------- keys
  function onKey(e) {
    const typing = e.target instanceof HTMLElement && /^(INPUT|TEXTAREA)$/.test(e.target.tagName)
      && e.target.type !== "radio" && e.target.type !== "checkbox" && e.target.type !== "range";
    if (!$("#login").classList.contains("hidden")) return;
    if (e.key === "Escape") {
      $("#help").classList.add("hidden");
      if (typing) e.target.blur();
      return;
    }
    if (typing) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); saveDraft(); submit(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    const step = e.shiftKey ? 200 : 50;
    let handled = true;
    if (/^[0-5]$/.test(k)) setScore(Number(k));
    else if (k === "Enter") submit();
    else if (k === "?") $("#help").classList.toggle("hidden");
    else if (k === "s" || k === "S") setMode("side");
    else if (k === "f" || k === "F") setMode("flicker");
    else if (k === "w" || k === "W") setMode("wipe");
    else if (k === " ") { if (state.mode === "flicker") { stopFlicker(); state.flickerRight = !state.flickerRight; applyFlicker(); } }
    else if (k === "p" || k === "P") { if (state.mode === "flicker") { if (state.flickerTimer) stopFlicker(); else playFlicker(); } }
    else if (k === "[") { state.wipe = Math.max(0, state.wipe - 0.02); applyWipe(); }
    else if (k === "]") { state.wipe = Math.min(1, state.wipe + 0.02); applyWipe(); }
    else if (k === "+" || k === "=") zoomCenter(1.25);
    else if (k === "-" || k === "_") zoomCenter(0.8);
    else if (k === "z" || k === "Z") fit();
    else if (k === "x" || k === "X") oneToOne();
    else if (k === "ArrowLeft") pan(step, 0);
    else if (k === "ArrowRight") pan(-step, 0);
    else if (k === "ArrowUp") pan(0, step);
    else if (k === "ArrowDown") pan(0, -step);
    else if (k === "n" || k === "N") { e.preventDefault(); $("#comment").focus(); }
    else {
      const id = Object.keys(ARTIFACT_KEYS).find((a) => ARTIFACT_KEYS[a] === k.toLowerCase());
      if (id) toggleArtifact(id); else handled = false;
    }
    if (handled) e.preventDefault();
  }

  // ---------------------------------------------------------------------------------------------- start
  async function login(name) {
    const ev = await api("POST", "/api/evaluators", { name });
    state.evaluator = { id: ev.id, name: ev.name };
    try { localStorage.setItem("qualipress-review-name", ev.name); } catch (e) { /* */ }
    $("#who").textContent = `evaluator: ${ev.name}`;
    $("#login").classList.add("hidden");
    await nextPair();
  }

  async function main() {
    state.config = await api("GET", "/api/config");
    buildForm();
    $$(".vp").forEach(bindViewport);
    $$("[data-mode]").forEach((b) => b.addEventListener("click", () => setMode(b.dataset.mode)));
    $("#zoomFit").addEventListener("click", fit);
    $("#zoom11").addEventListener("click", oneToOne);
    $("#zoomIn").addEventListener("click", () => zoomCenter(1.25));
    $("#zoomOut").addEventListener("click", () => zoomCenter(0.8));
    $("#helpBtn").addEventListener("click", () => $("#help").classList.toggle("hidden"));
    $("#helpClose").addEventListener("click", () => $("#help").classList.add("hidden"));
    $("#wipe").addEventListener("input", (e) => { state.wipe = Number(e.target.value) / 1000; applyWipe(); });
    $("#flickerMs").addEventListener("change", () => { if (state.flickerTimer) playFlicker(); });
    $("#comment").addEventListener("input", saveDraft);
    $("#scoreForm").addEventListener("submit", (e) => { e.preventDefault(); submit(); });
    $("#who").addEventListener("click", () => { $("#login").classList.remove("hidden"); $("#name").focus(); });
    window.addEventListener("resize", () => applyView());
    document.addEventListener("keydown", onKey);
    $("#loginForm").addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await login($("#name").value); } catch (err) { $("#loginError").textContent = err.message; }
    });
    $$("button").forEach((b) => b.addEventListener("mouseup", () => b.blur())); // keep keys for the page
    let saved = null;
    try { saved = localStorage.getItem("qualipress-review-name"); } catch (e) { /* */ }
    if (saved) {
      try { await login(saved); return; } catch (e) { /* fall through to the form */ }
    }
    $("#login").classList.remove("hidden");
    $("#name").focus();
  }

  main().catch((e) => setStatus(`cannot start: ${e.message}`, true));
})();
