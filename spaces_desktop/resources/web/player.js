// The Spaces web player: joins a Space as a listener, plays its audio, shows the stage with the
// active speaker large, floats reactions, and can raise a hand or ask to speak.
//
// It speaks the same API as the desktop app, from the same origin. Everything that came from
// people (names, titles) is put on the page with textContent, never as HTML.
"use strict";

(() => {
  const AVATAR_SAT = 0.36;
  const AVATAR_LIGHT = 0.40;
  const RESUBSCRIBE_DEBOUNCE_MS = 250;
  const STREAM_RETRY_MS = [250, 500, 1000, 2000, 4000];
  const EVENT_TYPES = [
    "space_updated", "participant_joined", "participant_updated", "participant_left", "invited",
    "reaction", "streams", "talking", "media_reset", "space_ended", "removed", "scene",
  ];
  const STAGE_ROLES = ["host", "cohost", "speaker"];
  const ROLE_LABEL = { host: "Host", cohost: "Co-host", speaker: "" };

  const $ = (id) => document.getElementById(id);
  const spaceId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const api = (path) => `/spaces/${encodeURIComponent(spaceId)}${path}`;

  const state = {
    token: null,
    me: null,
    space: null,
    participants: new Map(),
    streams: [],
    lastEventId: 0,
    talking: new Set(),
    active: null,
    scene: { kind: "auto" },  // the program the host directs (a "scene" event changes it)
    events: null,
    streamFailures: 0,
    ended: false,
  };
  const media = {
    pc: null,          // the subscription that plays now
    pending: null,     // a newer one being negotiated (make-before-break)
    byMid: new Map(),  // mid -> {participant_id, kind, source} of the playing subscription
    video: new Map(),  // "pid/source" -> MediaStream
    resubscribeTimer: 0,
    generation: 0,
  };
  // Read by tests and handy when debugging: frames painted per participant and source.
  const stats = { frames: {}, audioTracks: 0, subscriptions: 0, trickles: 0 };
  window.spacesPlayer = { state, stats, media };

  // --- HTTP ---------------------------------------------------------------------------------

  async function call(method, path, body) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    let response;
    try {
      response = await fetch(api(path), {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
      });
    } catch {
      throw Object.assign(new Error("The Space can't be reached; check your connection."), { status: 0 });
    }
    if (response.status === 204) return null;
    let data = null;
    try { data = await response.json(); } catch { /* not JSON */ }
    if (!response.ok) {
      const message = (data && data.message) || "Something went wrong; try again.";
      throw Object.assign(new Error(message), { status: response.status, code: data && data.error });
    }
    return data;
  }

  // --- lobby --------------------------------------------------------------------------------

  function show(section) {
    for (const id of ["lobby", "space", "ended"]) $(id).hidden = id !== section;
  }

  function setTitle(title) {
    $("lobby-title").textContent = title;
    $("top-title").textContent = title;
    document.title = `${title} · Spaces`;
  }

  function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

  async function loadPreview() {
    const appLink = `spaces://${location.host}/s/${encodeURIComponent(spaceId)}`;
    $("open-app").href = appLink;
    $("copy-link").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(location.href);
        $("copy-link").textContent = "Link copied";
      } catch {
        $("copy-link").textContent = location.href;
      }
    });
    let preview;
    try {
      preview = await call("GET", "/preview");
    } catch (error) {
      $("lobby-status").textContent = error.status === 404 ? "NOT FOUND" : "UNAVAILABLE";
      setTitle(error.status === 404 ? "This Space doesn't exist" : "The Space can't be reached");
      $("lobby-host").textContent = error.status === 404 ? "Check the link you were given." : error.message;
      $("open-app").hidden = true;
      return;
    }
    setTitle(preview.title);
    $("lobby-host").textContent = preview.host_name ? `Hosted by ${preview.host_name}` : "";
    $("lobby-counts").textContent =
      `${plural(preview.speakers, "person", "people")} on stage · ${plural(preview.listeners, "listener", "listeners")}`;
    const pill = $("lobby-status");
    pill.className = `status-pill ${preview.status}`;
    if (preview.status === "live") {
      pill.textContent = preview.video_enabled ? "LIVE · VIDEO" : "LIVE";
      $("live-badge").hidden = false;
      $("join-form").hidden = false;
      const saved = localStorage.getItem("spaces.name");
      if (saved) $("name").value = saved;
    } else if (preview.status === "scheduled") {
      pill.textContent = "SCHEDULED";
      $("lobby-counts").textContent = "It hasn't started yet. Come back when the host goes live.";
    } else {
      pill.textContent = "ENDED";
      $("lobby-counts").textContent = "This Space has ended.";
      $("open-app").hidden = true;
    }
  }

  async function join(event) {
    event.preventDefault();
    const name = $("name").value.trim();
    if (!name) return;
    $("listen").disabled = true;
    $("lobby-error").hidden = true;
    try {
      localStorage.setItem("spaces.name", name);
      const joined = await call("POST", "/join", { display_name: name });
      state.token = joined.token;
      state.iceServers = joined.ice_servers || [];
      applySnapshot(joined.snapshot);
      show("space");
      render();
      openEvents();
      scheduleResubscribe(0);
    } catch (error) {
      $("lobby-error").textContent = error.message;
      $("lobby-error").hidden = false;
    } finally {
      $("listen").disabled = false;
    }
  }

  // --- state --------------------------------------------------------------------------------

  function applySnapshot(snapshot) {
    state.space = snapshot.space;
    state.me = snapshot.you;
    state.participants = new Map(snapshot.participants.map((p) => [p.id, p]));
    state.streams = snapshot.streams;
    state.lastEventId = snapshot.last_event_id;
    // The backend's count: listeners' arrivals and departures go to the hosts only.
    state.listenerCount = snapshot.counts ? snapshot.counts.listeners : null;
    state.talking = new Set(snapshot.talking || []);
    state.active = (snapshot.talking || [])[0] || null;
    state.scene = snapshot.scene || { kind: "auto" };
    setTitle(snapshot.space.title);
  }

  function onStage(p) { return p && STAGE_ROLES.includes(p.role) && p.status === "active" && !p.backstage; }

  function apply(type, data) {
    switch (type) {
      case "space_updated":
        state.space = data.space;
        setTitle(data.space.title);
        if (data.space.status === "ended") finish("This Space has ended", "Thanks for listening.");
        break;
      case "participant_joined":
      case "participant_updated":
        state.participants.set(data.participant.id, data.participant);
        if (data.participant.id === state.me) updateOwnControls();
        break;
      case "participant_left":
        state.participants.delete(data.participant.id);
        state.talking.delete(data.participant.id);
        break;
      case "reaction": {
        // One event per short interval: counts per emoji, and who sent them (bounded).
        if (!data.counts) {
          floatReaction(data.emoji, nameOf(data.participant_id));
          return;
        }
        let floated = 0;
        const named = {};
        for (const sender of data.senders || []) {
          const times = Math.min(sender.count || 1, 3);
          named[sender.emoji] = (named[sender.emoji] || 0) + (sender.count || 1);
          for (let i = 0; i < times && floated < 12; i++, floated++) {
            floatReaction(sender.emoji, nameOf(sender.participant_id));
          }
        }
        for (const [emoji, count] of Object.entries(data.counts)) {
          const rest = Math.min(count - (named[emoji] || 0), 12 - floated);
          for (let i = 0; i < rest; i++, floated++) floatReaction(emoji, "");
        }
        return;
      }
      case "streams":
        state.streams = data.streams;
        scheduleResubscribe(RESUBSCRIBE_DEBOUNCE_MS);
        break;
      case "talking":
        if (data.talking) {
          state.talking.add(data.participant_id);
          state.active = data.participant_id;
        } else {
          state.talking.delete(data.participant_id);
        }
        break;
      case "scene":
        state.scene = data.scene || { kind: "auto" };
        break;
      case "audience":
        state.listenerCount = data.listeners;
        break;
      case "media_reset":
        scheduleResubscribe(RESUBSCRIBE_DEBOUNCE_MS);
        break;
      case "invited":
        banner("The host invited you to speak. Open this Space in Spaces Desktop to go on stage.");
        break;
      case "space_ended":
        finish("This Space has ended", "Thanks for listening.");
        return;
      case "removed":
        finish("You were removed from this Space", "The host removed you.");
        return;
      default:
        return;
    }
    render();
  }

  function nameOf(id) {
    const p = state.participants.get(id);
    return p ? p.display_name : "";
  }

  function activeSpeaker(stage) {
    if (state.active && stage.some((p) => p.id === state.active)) return state.active;
    const talking = stage.find((p) => state.talking.has(p.id));
    if (talking) return talking.id;
    const host = stage.find((p) => p.role === "host");
    return host ? host.id : (stage[0] && stage[0].id);
  }

  // --- events -------------------------------------------------------------------------------

  async function openEvents() {
    if (state.ended) return;
    let ticket;
    try {
      ticket = (await call("POST", "/events/ticket")).ticket;
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        finish("You are no longer in this Space", error.message);
        return;
      }
      retryEvents();
      return;
    }
    const url = api(`/events?ticket=${encodeURIComponent(ticket)}&last_event_id=${state.lastEventId}`);
    const source = new EventSource(url);
    state.events = source;
    source.onopen = () => {
      state.streamFailures = 0;
      banner(null);
    };
    const handle = (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      if (typeof event.id === "number") {
        if (event.id <= state.lastEventId) return;  // already seen (replay after a reconnect)
        state.lastEventId = event.id;
      }
      apply(event.type, event.data || {});
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, handle);
    source.onerror = () => {
      // A ticket works once: reopen with a fresh one from where we were.
      source.close();
      if (state.events === source) state.events = null;
      if (!state.ended) {
        banner("Reconnecting…");
        retryEvents();
      }
    };
  }

  function retryEvents() {
    const delay = STREAM_RETRY_MS[Math.min(state.streamFailures, STREAM_RETRY_MS.length - 1)];
    state.streamFailures += 1;
    setTimeout(openEvents, delay * (0.75 + Math.random() * 0.5));
  }

  // --- media --------------------------------------------------------------------------------

  function scheduleResubscribe(delay) {
    clearTimeout(media.resubscribeTimer);
    media.resubscribeTimer = setTimeout(resubscribe, delay);
  }

  async function resubscribe() {
    if (state.ended || !state.token) return;
    const generation = ++media.generation;
    const wanted = state.streams.filter((s) => s.participant_id !== state.me);
    if (!wanted.length) {
      closeConnection(media.pc);
      media.pc = null;
      media.byMid = new Map();
      media.video.clear();
      render();
      return;
    }
    let offer;
    try {
      offer = await call("POST", "/media/subscribe", {});
    } catch (error) {
      if (error.code === "nothing_published") return;  // a streams event will come
      if (error.status === 409 || error.status === 503 || error.status === 0) {
        scheduleResubscribe(1000);
      }
      return;
    }
    if (generation !== media.generation) return;  // a newer change is already on its way
    const pc = new RTCPeerConnection({ iceServers: state.iceServers || [], bundlePolicy: "max-bundle" });
    const byMid = new Map(offer.streams.map((s) => [s.mid, s]));
    const video = new Map();
    const audio = [];
    const candidates = [];
    let answered = false;
    let gathered = false;
    let completionSent = false;
    // Candidates found after the answer went out follow it; until then they wait here.
    const sendCandidates = () => {
      if (!answered || completionSent) return;
      const done = gathered && candidates.length <= 32;
      if (!candidates.length && !done) return;
      const batch = candidates.splice(0, 32);
      completionSent = done;
      call("POST", "/media/trickle", { target: "subscribe", candidates: batch, completed: done })
        .then(() => { stats.trickles += 1; })
        .catch(() => { /* the SDP carried what was gathered; a late candidate is optional */ });
      if (candidates.length) sendCandidates();
    };
    pc.onicecandidate = (event) => {
      if (event.candidate && event.candidate.candidate) {
        const { candidate, sdpMid, sdpMLineIndex } = event.candidate;
        candidates.push({ candidate, sdpMid, sdpMLineIndex });
      } else if (!event.candidate) {
        gathered = true;
      }
      sendCandidates();
    };
    pc.ontrack = (event) => {
      const mid = event.transceiver && event.transceiver.mid;
      const info = byMid.get(mid);
      if (!info) return;
      if (info.kind === "audio") {
        audio.push(event.track);
      } else {
        video.set(`${info.participant_id}/${info.source || "main"}`, new MediaStream([event.track]));
      }
    };
    media.pending = pc;
    stats.subscriptions += 1;
    try {
      await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await call("POST", "/media/subscribe/answer", { type: "answer", sdp: pc.localDescription.sdp });
      answered = true;
      sendCandidates();
    } catch {
      closeConnection(pc);
      if (media.pending === pc) media.pending = null;
      if (generation === media.generation) scheduleResubscribe(1000);
      return;
    }
    // Make before break: the old connection plays until this one is up.
    const promote = () => {
      if (media.pending !== pc) return;
      media.pending = null;
      closeConnection(media.pc);
      media.pc = pc;
      media.byMid = byMid;
      media.video = video;
      playAudio(audio);
      render();
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") promote();
      if (pc.connectionState === "failed" && media.pc === pc) scheduleResubscribe(500);
    };
    if (pc.connectionState === "connected") promote();
  }

  function closeConnection(pc) {
    if (!pc) return;
    try { pc.close(); } catch { /* already closed */ }
  }

  function playAudio(tracks) {
    const holder = $("audio");
    holder.replaceChildren();
    for (const track of tracks) {
      const element = document.createElement("audio");
      element.autoplay = true;
      element.srcObject = new MediaStream([track]);
      holder.appendChild(element);
      element.play().catch(() => banner("Tap anywhere to turn the sound on."));
    }
    stats.audioTracks = tracks.length;
  }

  // --- rendering ----------------------------------------------------------------------------

  const tiles = new Map();  // "pid/source" -> {root, video, avatar, name, role, mic, hand}

  function avatarColor(id) {
    const hue = crc32(id) % 360;
    return `hsl(${hue} ${AVATAR_SAT * 100}% ${AVATAR_LIGHT * 100}%)`;
  }

  function initials(name) {
    const words = name.trim().split(/\s+/).filter(Boolean);
    const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
    return letters.map((w) => Array.from(w)[0] || "").join("").toUpperCase() || "?";
  }

  function tileFor(key, participant, source) {
    let tile = tiles.get(key);
    if (!tile) {
      const root = document.createElement("div");
      root.className = "tile";
      root.dataset.participant = participant.id;
      root.dataset.source = source;
      const avatar = document.createElement("div");
      avatar.className = "avatar";
      const video = document.createElement("video");
      video.autoplay = true;
      video.muted = true;
      video.playsInline = true;
      video.hidden = true;
      const chip = document.createElement("div");
      chip.className = "chip";
      const name = document.createElement("span");
      name.className = "name";
      const role = document.createElement("span");
      role.className = "role";
      const mic = document.createElement("span");
      mic.className = "muted-mic";
      const hand = document.createElement("span");
      hand.className = "hand-badge";
      hand.textContent = "✋";
      chip.append(name, role, mic);
      root.append(avatar, video, chip, hand);
      tile = { root, video, avatar, name, role, mic, hand, stream: null };
      tiles.set(key, tile);
      countFrames(key, video);
    }
    const product = source === "second";
    tile.root.classList.toggle("product", product);
    tile.avatar.textContent = initials(participant.display_name);
    tile.avatar.style.background = avatarColor(participant.id);
    tile.name.textContent = product ? `${participant.display_name} · product` : participant.display_name;
    tile.role.textContent = product ? "" : (ROLE_LABEL[participant.role] || "");
    tile.mic.textContent = participant.muted && !product ? "MUTED" : "";
    tile.hand.hidden = !participant.hand_raised || product;
    tile.root.classList.toggle("speaking", !product && state.talking.has(participant.id));
    tile.root.setAttribute("aria-label", participant.display_name);
    const cameraOn = product ? participant.second_camera_on : participant.camera_on;
    const stream = cameraOn ? media.video.get(key) : null;
    if (tile.stream !== stream) {
      tile.stream = stream || null;
      tile.video.srcObject = tile.stream;
      if (tile.stream) tile.video.play().catch(() => {});
    }
    tile.video.hidden = !tile.stream;
    tile.avatar.hidden = Boolean(tile.stream);
    return tile.root;
  }

  function countFrames(key, video) {
    if (typeof video.requestVideoFrameCallback !== "function") return;
    const tick = () => {
      stats.frames[key] = (stats.frames[key] || 0) + 1;
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }

  // The host's scene, as the desktop app resolves it (domain/scenes.py `resolve`).
  function programOf(stage, auto) {
    const scene = state.scene || { kind: "auto" };
    const ids = stage.map((p) => p.id);
    const products = stage.filter((p) => p.second_camera_on).map((p) => p.id);
    if (scene.kind === "grid") return { layout: "grid", featured: auto };
    if (scene.kind === "person") {
      return { layout: "speaker", featured: ids.includes(scene.participant_id) ? scene.participant_id : auto };
    }
    const layouts = { product: "product", product_pip: "pip", side_by_side: "side_by_side" };
    if (layouts[scene.kind]) {
      let owner = products.includes(scene.participant_id) ? scene.participant_id : null;
      if (!owner && products.includes(auto)) owner = auto;
      if (!owner && products.length) owner = products[0];
      if (owner) return { layout: layouts[scene.kind], featured: owner };
    }
    return { layout: "speaker", featured: auto };
  }

  function render() {
    if (state.ended) return;
    const people = [...state.participants.values()];
    const stage = people.filter(onStage).sort((a, b) => STAGE_ROLES.indexOf(a.role) - STAGE_ROLES.indexOf(b.role));
    const listeners = state.listenerCount !== null && state.listenerCount !== undefined
      ? state.listenerCount
      : people.filter((p) => p.role === "listener" && p.status === "active").length;
    $("top-count").textContent = `${plural(stage.length, "speaker", "speakers")} · ${plural(listeners, "listener", "listeners")}`;
    $("live-badge").hidden = !(state.space && state.space.status === "live");

    const program = programOf(stage, activeSpeaker(stage));
    const active = program.featured;
    const big = [];
    const strip = [];
    const used = new Set();
    for (const p of stage) {
      const mainKey = `${p.id}/main`;
      used.add(mainKey);
      const main = tileFor(mainKey, p, "main");
      main.classList.remove("pip");
      let product = null;
      if (p.second_camera_on) {
        const productKey = `${p.id}/second`;
        used.add(productKey);
        product = tileFor(productKey, p, "second");
      }
      const owner = p.id === active;
      if (program.layout === "grid") big.push(main);
      else if (owner && program.layout === "product" && product) big.push(product);
      else if (owner && program.layout === "pip" && product) { main.classList.add("pip"); big.push(product, main); }
      else if (owner && program.layout === "side_by_side" && product) big.push(main, product);
      else if (program.layout === "product" && product === null && !owner) continue;  // the cut shows one picture
      else {
        (owner ? big : strip).push(main);
        if (product) strip.push(product);
      }
    }
    $("big").dataset.layout = program.layout;
    for (const [key, tile] of tiles) {
      if (!used.has(key)) {
        tile.root.remove();
        tiles.delete(key);
      }
    }
    if (!stage.length) {
      const empty = document.createElement("p");
      empty.className = "empty-stage";
      empty.textContent = "Nobody is on stage yet.";
      big.push(empty);
    }
    $("big").replaceChildren(...big);
    $("strip").replaceChildren(...strip);
    $("stage").dataset.active = active || "";
    updateOwnControls();
  }

  function updateOwnControls() {
    const me = state.participants.get(state.me);
    if (!me) return;
    $("hand").setAttribute("aria-pressed", String(Boolean(me.hand_raised)));
    $("hand").textContent = me.hand_raised ? "✋ Lower hand" : "✋ Raise hand";
    $("ask").setAttribute("aria-pressed", String(Boolean(me.speak_requested)));
    $("ask").textContent = me.speak_requested ? "Cancel request" : "Ask to speak";
    $("ask").hidden = me.role !== "listener";
  }

  function floatReaction(emoji, name) {
    const layer = $("reactions");
    if (layer.childElementCount > 30) return;
    const item = document.createElement("div");
    item.className = "reaction";
    item.style.left = `${8 + Math.random() * 70}%`;
    const glyph = document.createElement("span");
    glyph.textContent = emoji;
    item.appendChild(glyph);
    if (name) {
      const label = document.createElement("small");
      label.textContent = name;
      item.appendChild(label);
    }
    layer.appendChild(item);
    setTimeout(() => item.remove(), 2500);
  }

  function banner(text) {
    $("banner").textContent = text || "";
    $("banner").hidden = !text;
  }

  function finish(title, text) {
    if (state.ended) return;
    state.ended = true;
    if (state.events) state.events.close();
    closeConnection(media.pending);
    closeConnection(media.pc);
    $("audio").replaceChildren();
    $("ended-title").textContent = title;
    $("ended-text").textContent = text;
    $("live-badge").hidden = true;
    show("ended");
  }

  // --- controls -----------------------------------------------------------------------------

  async function act(fn) {
    try {
      await fn();
    } catch (error) {
      banner(error.message);
      setTimeout(() => banner(null), 4000);
    }
  }

  function wireControls() {
    $("join-form").addEventListener("submit", join);
    for (const button of document.querySelectorAll("button.emoji")) {
      button.addEventListener("click", () => act(() => call("POST", "/reactions", { emoji: button.dataset.emoji })));
    }
    $("hand").addEventListener("click", () => act(async () => {
      const me = state.participants.get(state.me);
      const view = await call("POST", "/me/hand", { raised: !(me && me.hand_raised) });
      apply("participant_updated", { participant: view });
    }));
    $("ask").addEventListener("click", () => act(async () => {
      const me = state.participants.get(state.me);
      const view = await call(me && me.speak_requested ? "DELETE" : "POST", "/me/speak-request");
      apply("participant_updated", { participant: view });
    }));
    $("leave").addEventListener("click", () => act(async () => {
      await call("POST", "/me/leave").catch(() => {});
      finish("You left the Space", "You can join again from the link while it is live.");
    }));
    document.addEventListener("click", () => {
      for (const element of $("audio").children) element.play().catch(() => {});
    });
    window.addEventListener("pagehide", () => {
      if (state.token && !state.ended) {
        fetch(api("/me/leave"), {
          method: "POST", keepalive: true, headers: { Authorization: `Bearer ${state.token}` },
        }).catch(() => {});
      }
    });
  }

  // CRC-32 (IEEE), so an avatar has the same colour here as in the desktop app.
  const CRC_TABLE = (() => {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(text) {
    let crc = 0xffffffff;
    for (const byte of new TextEncoder().encode(text)) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }

  wireControls();
  loadPreview();
})();
